//! `mesh model export|import`: model files (docs/model-file.md).

use anyhow::Context;
use mesh::Connection;
use serde_json::json;

use crate::args::ModelCommand;
use crate::output::Output;

/// Runs a `mesh model` command.
pub async fn run(
    connection: &Connection,
    command: ModelCommand,
    out: &Output,
) -> anyhow::Result<()> {
    match command {
        ModelCommand::Export { models, output } => {
            let names: Vec<&str> = models.iter().map(String::as_str).collect();
            let content = connection
                .with_session(|session| async move { session.export_model_file(&names).await })
                .await?;
            match output {
                Some(path) => {
                    crate::points::write_whole(&path, content.as_bytes())?;
                    out.done(
                        &format!("model file written to {}", path.display()),
                        &[
                            ("file", json!(path.display().to_string())),
                            ("bytes", json!(content.len())),
                        ],
                    );
                }
                None => print!("{content}"),
            }
            Ok(())
        }
        ModelCommand::Import { file } => {
            let content = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.display().to_string();
            let imported = connection
                .with_session(|session| async move {
                    let imported = session.import_model_file(&name, &content).await?;
                    session.commit().await?;
                    Ok(imported)
                })
                .await?;
            out.done(
                &format!(
                    "imported and committed {} model definitions, {} models, {} objects",
                    imported.model_definitions, imported.models, imported.objects
                ),
                &[
                    ("model_definitions", json!(imported.model_definitions)),
                    ("models", json!(imported.models)),
                    ("objects", json!(imported.objects)),
                ],
            );
            Ok(())
        }
    }
}
