//! Imports a model file into a mesh-server and commits it, then prints the
//! model's objects:
//!
//! ```text
//! cargo run -p mesh --example import_model_file -- 127.0.0.1:50051 examples/hydro-model.json
//! ```
//!
//! With a third argument, also writes the model back to that file (an
//! export), which gives the same model with every id.

use mesh::{AttributeView, Connection};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(address), Some(file)) = (args.next(), args.next()) else {
        eprintln!("usage: import_model_file ADDRESS MODEL_FILE [EXPORT_TO]");
        std::process::exit(2);
    };
    let connection = Connection::insecure(&address).await?;
    let session = connection.open_session().await?;
    let imported = session.import_model_file_from(&file).await?;
    session.commit().await?;
    println!(
        "imported {} model definition(s), {} model(s), {} object(s) from {file}",
        imported.model_definitions, imported.models, imported.objects
    );
    for model in session.list_models().await? {
        for object in session
            .search_objects(model.id, "{*}", AttributeView::NoAttributes)
            .await?
        {
            println!("{}", object.path);
        }
    }
    if let Some(export_to) = args.next() {
        std::fs::write(&export_to, session.export_model_file(&[]).await?)?;
        println!("exported to {export_to}");
    }
    session.close().await?;
    Ok(())
}
