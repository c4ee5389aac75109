//! Working with the model: a tiny model definition (areas owning plants
//! with a capacity and a history), a model made from it, objects, their
//! attributes set and read, searches, and a commit.
//!
//! Run against a server: `cargo run -p mesh --example working_with_model -- localhost:50051`
//!
//! Each run makes its definition and model under fresh names, so it can be
//! run again against the same server.

use mesh::{AttributeView, Connection, SimpleDefinition, Value, ValueType};

#[tokio::main]
async fn main() -> mesh::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "localhost:50051".to_string());
    // In production, connect with TLS and credentials instead.
    let connection = Connection::insecure(&address).await?;
    let suffix = mesh::Uuid::new_v4().simple().to_string()[..8].to_string();

    connection
        .with_session(|session| async move {
            // 1. A model definition: what areas and plants are.
            let repository = session
                .create_model_definition(&format!("Hydro{suffix}"), "Example definitions")
                .await?;
            println!("1. Model definition {}", repository.path);
            let area = session
                .create_object_definition(repository.id, "Area", "A price area")
                .await?;
            let plant = session
                .create_object_definition(repository.id, "Plant", "A power plant")
                .await?;
            let capacity = session
                .create_simple_attribute_type(
                    repository.id,
                    "Capacity",
                    ValueType::Double,
                    Some("MW"),
                )
                .await?;
            let history = session
                .create_simple_attribute_type(repository.id, "History", ValueType::Int, None)
                .await?;
            session
                .add_simple_attribute_definition(
                    plant.id,
                    capacity.id,
                    &SimpleDefinition {
                        description: "Installed capacity".into(),
                        default: Some(Value::Double(0.0)),
                        minimum: Some(Value::Double(0.0)),
                        ..SimpleDefinition::default()
                    },
                )
                .await?;
            session
                .add_simple_attribute_definition(
                    plant.id,
                    history.id,
                    &SimpleDefinition {
                        cardinality: 10,
                        ..SimpleDefinition::default()
                    },
                )
                .await?;
            let plants = session
                .create_ownership_relation_attribute_type(repository.id, "Plants", plant.id)
                .await?;
            session
                .add_ownership_relation_attribute_definition(area.id, plants.id, 100)
                .await?;

            // 2. A model and its objects. The model owns its first objects,
            //    which name their definition; deeper objects take theirs
            //    from the ownership attribute that holds them.
            let model = session
                .create_model(&format!("North{suffix}"), repository.id)
                .await?;
            let east = session
                .create_object(model.id, "East", Some(area.id.into()))
                .await?;
            let plants_of_east = east.attribute("Plants").expect("areas own plants");
            for name in ["Alta", "Bjorn"] {
                let created = session.create_object(plants_of_east.id, name, None).await?;
                println!("2. Created {} ({})", created.path, created.type_name);
            }

            // 3. Attributes: set by path, read back.
            let alta = format!("{}/Alta", plants_of_east.path);
            session
                .update_simple_attribute(format!("{alta}.Capacity"), 150.0)
                .await?;
            session
                .update_simple_attribute(format!("{alta}.History"), vec![90_i64, 120, 150])
                .await?;
            let read = session
                .get_object(alta.as_str(), AttributeView::Basic)
                .await?;
            for attribute in &read.attributes {
                println!("3. {} = {:?}", attribute.path, attribute.simple_values());
            }

            // 4. Searches, from the model down.
            let found = session
                .search_objects(model.id, "*[.Type=Plant]", AttributeView::NoAttributes)
                .await?;
            println!("4. {} plants in {}", found.len(), model.path);
            for attribute in session
                .search_attributes(model.id, "{*}.Capacity", false)
                .await?
            {
                println!("4. {} = {:?}", attribute.path, attribute.value());
            }

            // 5. Everything becomes visible to others at once.
            session.commit().await?;
            println!("5. Committed");
            Ok(())
        })
        .await
}
