//! `mesh-bench model`: a model of many objects — how fast it is built and
//! committed, how fast one object is read by path and a tenth of them found
//! by a search, what it costs in server memory and on disk, and how long a
//! restarted server takes to load it and answer.
//!
//! The model: a model definition `BenchHydro` with an object definition
//! `Area` and ten plant definitions `PlantT0`..`PlantT9`, each with the
//! same ten simple attributes (four doubles, three integers, two strings, a
//! boolean; all singular). `Area` owns the plants of type `k` through its
//! ownership attribute `PlantsTk`, since an ownership attribute names one
//! target definition. Plant `i` lives in area `i % areas` with type
//! `(i / areas) % 10`, so every area holds every type and
//! `*[.Type=PlantTk]` (`.Type` is the name of the object's definition)
//! from the model finds a tenth of the plants.
//!
//! The server runs the requests of one session one at a time, so the
//! plants are created by several sessions at once, each with the areas
//! `a` where `a % sessions` is its number, each committing its own share.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use mesh_proto::model::model_service_client::ModelServiceClient;
use mesh_proto::model::{
    attribute_value::ValueOneof, AttributeValue, CreateModelRequest, CreateObjectRequest,
    GetObjectRequest, Object, SearchObjectsRequest, UpdateSimpleAttributeRequest,
};
use mesh_proto::model_definition::attribute_definition_default_value::ValueOneof as DefaultOneof;
use mesh_proto::model_definition::model_definition_service_client::ModelDefinitionServiceClient;
use mesh_proto::model_definition::{
    AddOwnershipRelationAttributeDefinitionRequest, AddSimpleAttributeDefinitionRequest,
    AttributeDefinitionDefaultValue, AttributeValueType, CreateNamespaceRequest,
    CreateObjectDefinitionRequest, CreateRelationAttributeTypeRequest,
    CreateSimpleAttributeTypeRequest,
};
use mesh_proto::types::{Guid, MeshId};
use tokio::task::JoinSet;
use tonic::transport::{Channel, Endpoint};

use crate::data::Rng;
use crate::load::percentile;
use crate::server::{ServerArgs, ServerProcess, TempDir};
use crate::tsclient::{self, failed};
use crate::{bytes, latency, thousands};

/// Every call's deadline; generous, since one commit carries a whole
/// share of the model.
const CALL_TIMEOUT: Duration = Duration::from_secs(600);

/// How long a restarted server may take to answer its first call.
const RESTART_TIMEOUT: Duration = Duration::from_secs(300);

/// How long the server may take to exit after SIGTERM.
const TERMINATE_TIMEOUT: Duration = Duration::from_secs(60);

/// Long enough that no session expires during the run.
const SESSION_TIMEOUT: &str = "30m";

/// The plant types; the search finds one of them.
const TYPES: u64 = 10;

/// The type the search looks for.
const SEARCHED_TYPE: u64 = 3;

/// Most plants one ownership attribute may hold (its cardinality).
const PLANTS_PER_ATTRIBUTE: i32 = 1_000_000;

/// The attribute fields the official SDK asks for unless told to return
/// full attribute information: everything but the definition.
const BASIC_ATTRIBUTE_FIELDS: &[&str] = &[
    "id",
    "path",
    "name",
    "values",
    "value_type",
    "value_type_collection",
    "owner_id",
];

const MODEL_DEFINITION: &str = "BenchHydro";
const MODEL: &str = "Bench";

/// The value type of a simple attribute.
#[derive(Clone, Copy)]
enum Kind {
    Double,
    Int,
    Text,
    Bool,
}

/// Every plant's ten simple attributes, in the order they are set.
const ATTRIBUTES: [(&str, Kind); 10] = [
    ("Capacity", Kind::Double),
    ("Efficiency", Kind::Double),
    ("Head", Kind::Double),
    ("MaxDischarge", Kind::Double),
    ("Units", Kind::Int),
    ("CommissionYear", Kind::Int),
    ("Priority", Kind::Int),
    ("Operator", Kind::Text),
    ("Region", Kind::Text),
    ("Active", Kind::Bool),
];

/// Options of `mesh-bench model`.
#[derive(Args)]
pub struct ModelArgs {
    /// Plants to create, each with 10 simple attributes (10 to 10,000,000).
    #[arg(long, default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(10..=10_000_000))]
    pub objects: u64,

    /// Areas the plants are spread over (1 to 100,000).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub areas: u64,

    /// Sessions creating plants at once, each in its own areas and committing
    /// its own share (1 to 64; at most one per area).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub sessions: u64,

    /// Attributes set on each plant (UpdateSimpleAttribute) after it is
    /// created; the others keep their defaults (0 to 10).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=10))]
    pub updates: u64,

    /// Each session commits after this many of its plants, besides the
    /// commit at the end (0: only at the end).
    #[arg(long, default_value_t = 0)]
    pub commit_every: u64,

    /// GetObject calls by path, on random plants, for the latency figure.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub gets: u64,

    /// Repetitions of each search (the median is printed).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub searches: u64,

    /// Seed of the random choice of plants read.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// The mesh-server binary to run [default: mesh-server next to mesh-bench].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
}

/// Where plant `i` lives and what it is called.
struct Plant {
    index: u64,
    area: u64,
    kind: u64,
}

impl Plant {
    fn new(index: u64, areas: u64) -> Plant {
        Plant {
            index,
            area: index % areas,
            kind: (index / areas) % TYPES,
        }
    }

    fn name(&self) -> String {
        format!("P{:07}", self.index)
    }

    /// The ownership attribute holding it.
    fn owner_path(&self) -> String {
        format!("{}.PlantsT{}", area_path(self.area), self.kind)
    }

    /// The full path, with the ownership attribute.
    fn path(&self) -> String {
        format!("{}/{}", self.owner_path(), self.name())
    }
}

fn area_path(area: u64) -> String {
    format!("Model/{MODEL}/A{area:05}")
}

/// How many of `objects` plants over `areas` areas have type `kind`.
fn plants_of_type(objects: u64, areas: u64, kind: u64) -> u64 {
    (0..objects)
        .filter(|&i| Plant::new(i, areas).kind == kind)
        .count() as u64
}

/// The value plant `i` gets for attribute `k` when it is set.
fn value_of(index: u64, k: usize) -> ValueOneof {
    match ATTRIBUTES[k].1 {
        Kind::Double => ValueOneof::DoubleValue((index % 1000) as f64 + 0.25 * (k as f64 + 1.0)),
        Kind::Int => ValueOneof::IntValue(index as i64 + k as i64),
        Kind::Text => ValueOneof::StringValue(format!("R{}", index % 97)),
        Kind::Bool => ValueOneof::BooleanValue(index.is_multiple_of(2)),
    }
}

/// The model and definition services and the session calls, over one
/// connection.
#[derive(Clone)]
struct Client {
    channel: Channel,
    objects: ModelServiceClient<Channel>,
    definitions: ModelDefinitionServiceClient<Channel>,
}

impl Client {
    async fn connect(address: SocketAddr) -> anyhow::Result<Client> {
        let channel = Endpoint::from_shared(format!("http://{address}"))?
            .connect_timeout(CALL_TIMEOUT)
            .timeout(CALL_TIMEOUT)
            .tcp_nodelay(true)
            .connect()
            .await
            .with_context(|| format!("cannot connect to {address}"))?;
        Ok(Client {
            objects: ModelServiceClient::new(channel.clone()),
            definitions: ModelDefinitionServiceClient::new(channel.clone()),
            channel,
        })
    }

    async fn start_session(&self) -> anyhow::Result<Guid> {
        tsclient::start_session(&self.channel).await
    }

    async fn commit(&self, session: &Guid) -> anyhow::Result<()> {
        tsclient::commit(&self.channel, session).await
    }

    async fn end_session(&self, session: &Guid) -> anyhow::Result<()> {
        tsclient::end_session(&self.channel, session).await
    }

    async fn create_object(
        &mut self,
        session: &Guid,
        name: String,
        owner: MeshId,
        definition: Option<MeshId>,
    ) -> anyhow::Result<Object> {
        Ok(self
            .objects
            .create_object(CreateObjectRequest {
                session_id: Some(session.clone()),
                name,
                owner_id: Some(owner),
                object_definition_id: definition,
            })
            .await
            .map_err(|s| failed("CreateObject", s))?
            .into_inner())
    }

    async fn set(
        &mut self,
        session: &Guid,
        attribute: String,
        value: ValueOneof,
    ) -> anyhow::Result<()> {
        self.objects
            .update_simple_attribute(UpdateSimpleAttributeRequest {
                session_id: Some(session.clone()),
                attribute_id: Some(by_path(attribute)),
                new_singular_value: Some(AttributeValue {
                    value_oneof: Some(value),
                }),
                new_collection_values: Vec::new(),
            })
            .await
            .map_err(|s| failed("UpdateSimpleAttribute", s))?;
        Ok(())
    }

    async fn get_object(&mut self, session: &Guid, path: String) -> anyhow::Result<Object> {
        Ok(self
            .objects
            .get_object(GetObjectRequest {
                session_id: Some(session.clone()),
                object_id: Some(by_path(path)),
                ..Default::default()
            })
            .await
            .map_err(|s| failed("GetObject", s))?
            .into_inner())
    }

    /// Runs a SearchObjects to its end; the objects found.
    async fn search(
        &mut self,
        session: &Guid,
        query: &str,
        object_fields: &[&str],
        attribute_fields: &[&str],
    ) -> anyhow::Result<Vec<Object>> {
        let mut stream = self
            .objects
            .search_objects(SearchObjectsRequest {
                session_id: Some(session.clone()),
                start_object_id: Some(by_path(format!("Model/{MODEL}"))),
                query: query.to_string(),
                object_field_mask: field_mask(object_fields),
                attribute_field_mask: field_mask(attribute_fields),
                ..Default::default()
            })
            .await
            .map_err(|s| failed("SearchObjects", s))?
            .into_inner();
        let mut found = Vec::new();
        while let Some(object) = stream
            .message()
            .await
            .map_err(|s| failed("SearchObjects (message)", s))?
        {
            found.push(object);
        }
        Ok(found)
    }
}

/// A field mask of `fields`; none (every field) when there are none.
fn field_mask(fields: &[&str]) -> Option<prost_types::FieldMask> {
    (!fields.is_empty()).then(|| prost_types::FieldMask {
        paths: fields.iter().map(|f| f.to_string()).collect(),
    })
}

fn by_path(path: String) -> MeshId {
    MeshId {
        id: None,
        path: Some(path),
        timeseries_key: None,
    }
}

fn by_id(id: Option<Guid>, what: &str) -> anyhow::Result<MeshId> {
    Ok(MeshId {
        id: Some(id.with_context(|| format!("{what} was answered without an id"))?),
        path: None,
        timeseries_key: None,
    })
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: ModelArgs) -> anyhow::Result<()> {
    let began = Instant::now();
    let binary = match &args.server_bin {
        Some(path) => path.clone(),
        None => crate::server::default_binary()?,
    };
    let sessions = args.sessions.min(args.areas);
    crate::print_header(
        "model",
        &binary,
        &[
            "raw tonic ModelService / ModelDefinitionService / SessionService clients;",
            "each session's calls one at a time (the server runs one session's calls in",
            "order), sessions on connections of their own; loopback only",
        ],
    );
    let n = args.objects;
    let data = TempDir::new("model")?;
    let server_args = ServerArgs {
        session_timeout: SESSION_TIMEOUT,
        max_sessions: sessions + 64,
        extra: Vec::new(),
    };
    let server = ServerProcess::start_in(&binary, data.path(), &server_args).await?;
    println!("  server:   {}", server.command_line);
    println!("            pid {}, {}", server.pid(), server.addr());
    println!();
    println!("== the model ==");
    println!(
        "  definition {MODEL_DEFINITION}: Area, PlantT0..PlantT{} (10 simple attributes each: 4 double,",
        TYPES - 1
    );
    println!(
        "  3 int, 2 string, 1 bool, all singular, with defaults); Area owns the plants of type k"
    );
    println!(
        "  through PlantsTk (cardinality {}); the type is the object definition, so",
        thousands(PLANTS_PER_ATTRIBUTE as u64)
    );
    println!(
        "  `*[.Type=PlantTk]` finds type k (an attribute cannot: `.Type` is the definition name)"
    );
    println!(
        "  shape: Model/{MODEL} -> {} areas -> {} plants ({} per area, {} types; plant i in area i % {}, type (i / {}) % 10)",
        thousands(args.areas),
        thousands(n),
        thousands(n.div_ceil(args.areas)),
        TYPES,
        args.areas,
        args.areas
    );
    println!("  plant path: {}", Plant::new(n / 2, args.areas).path());

    let client = Client::connect(server.addr()).await?;
    let setup_began = Instant::now();
    setup(&client, args.areas).await?;
    println!(
        "  setup (definitions, model, {} areas, one commit): {:.2} s",
        thousands(args.areas),
        setup_began.elapsed().as_secs_f64()
    );
    let before = settled_rss(&server).await?;

    // Build: the plants in `sessions` sessions at once, then their commits.
    println!();
    println!("== build: CreateObject for every plant, then Commit ==");
    println!(
        "  {sessions} sessions at once, each creating the plants of its own areas (area % {sessions})"
    );
    println!(
        "  and committing its share; each plant: 1 CreateObject (owner by path, no definition)"
    );
    println!(
        "  + {} UpdateSimpleAttribute (attribute by path), one call at a time per session",
        args.updates
    );
    if args.commit_every > 0 {
        println!(
            "  each session also commits after every {} of its plants (inside the create time)",
            thousands(args.commit_every)
        );
    } else {
        println!("  one commit per session, after all its plants");
    }
    let built = build(
        server.addr(),
        Plan {
            objects: n,
            areas: args.areas,
            sessions,
            updates: args.updates,
            commit_every: args.commit_every,
        },
    )
    .await?;
    let total = built.create_time + built.commit_time;
    println!(
        "  create: {} objects in {:.2} s = {} objects/s ({} calls/s)",
        thousands(n),
        built.create_time.as_secs_f64(),
        thousands(rate(n, built.create_time)),
        thousands(rate(n * (1 + args.updates), built.create_time))
    );
    println!(
        "          CreateObject p50 {}, p99 {}, max {}",
        latency(percentile(&built.creates, 50.0)),
        latency(percentile(&built.creates, 99.0)),
        latency(percentile(&built.creates, 100.0))
    );
    if args.updates > 0 {
        println!(
            "          UpdateSimpleAttribute p50 {}, p99 {}, max {}",
            latency(percentile(&built.updates, 50.0)),
            latency(percentile(&built.updates, 99.0)),
            latency(percentile(&built.updates, 100.0))
        );
    }
    if !built.batch_commits.is_empty() {
        println!(
            "          {} commits while creating: p50 {}, p99 {}, max {}",
            thousands(built.batch_commits.len() as u64),
            latency(percentile(&built.batch_commits, 50.0)),
            latency(percentile(&built.batch_commits, 99.0)),
            latency(percentile(&built.batch_commits, 100.0))
        );
    }
    println!(
        "          objects/s by tenth of the build: {}",
        rate_by_tenth(&built.done)
            .iter()
            .map(|r| thousands(*r))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  commit: {sessions} commits at once took {:.2} s (slowest; each alone: {})",
        built.commit_time.as_secs_f64(),
        built
            .commits
            .iter()
            .map(|d| format!("{:.2} s", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  total:  {:.2} s = {} objects/s created and committed",
        total.as_secs_f64(),
        thousands(rate(n, total))
    );
    let after = settled_rss(&server).await?;
    let disk = crate::disk::usage(data.path())?;
    print_memory("after the build (sessions ended)", before, after, n);
    println!(
        "  on disk: {} in {} files ({:.0} bytes allocated per object)",
        bytes(disk.allocated as i64),
        disk.files,
        disk.allocated as f64 / n as f64
    );

    // Reads, in a fresh session, after the commits.
    let mut problems = Vec::new();
    println!();
    println!("== reads (fresh session, committed model, one client) ==");
    reads(&client, &args, &mut problems).await?;

    // Restart on the same data: SIGTERM, then a new server, timed until it answers.
    println!();
    println!("== restart on the same data ==");
    let stopping = Instant::now();
    let status = server.terminate(TERMINATE_TIMEOUT).await?;
    println!(
        "  SIGTERM: exited after {:.2} s ({status})",
        stopping.elapsed().as_secs_f64()
    );
    let starting = Instant::now();
    let server = ServerProcess::start_in(&binary, data.path(), &server_args).await?;
    let listening = starting.elapsed();
    let probe = Plant::new(n - 1, args.areas);
    let answered = first_answer(server.addr(), &probe.path(), starting).await?;
    println!(
        "  new server: listening after {:.2} s; first GetObject answered after {:.2} s",
        listening.as_secs_f64(),
        answered.as_secs_f64()
    );
    println!("  (the server loads the model before it says it listens)");
    let reloaded = settled_rss(&server).await?;
    println!(
        "  VmRSS after the restart: {}; per object vs the baseline before the build: {:.0} bytes",
        bytes(reloaded as i64),
        (reloaded as f64 - before as f64) / n as f64
    );
    // Killed (the store was opened for writing, so it needs recovery),
    // then started again on the same data.
    server.stop().await?;
    let starting = Instant::now();
    let server = ServerProcess::start_in(&binary, data.path(), &server_args).await?;
    let answered = first_answer(server.addr(), &probe.path(), starting).await?;
    let recovered = settled_rss(&server).await?;
    println!(
        "  after SIGKILL, a new server answered after {:.2} s; VmRSS {}; per object vs the \
         baseline: {:.0} bytes",
        answered.as_secs_f64(),
        bytes(recovered as i64),
        (recovered as f64 - before as f64) / n as f64
    );
    server.stop().await?;

    println!();
    if problems.is_empty() {
        println!("answers checked: every object read and found was the one expected");
    } else {
        println!("answers that looked wrong ({}):", problems.len());
        for problem in problems.iter().take(20) {
            println!("  {problem}");
        }
    }
    println!("total run time: {:.1} s", began.elapsed().as_secs_f64());
    Ok(())
}

/// The model definition, the model and its areas, in one committed session.
async fn setup(client: &Client, areas: u64) -> anyhow::Result<()> {
    let session = client.start_session().await?;
    let mut definitions = client.definitions.clone();
    let namespace = definitions
        .create_namespace(CreateNamespaceRequest {
            session_id: Some(session.clone()),
            name_space_id: None,
            name: MODEL_DEFINITION.into(),
            description: String::new(),
        })
        .await
        .map_err(|s| failed("CreateNamespace", s))?
        .into_inner()
        .id;
    let namespace = by_id(namespace, "CreateNamespace")?;

    let area = object_definition(&mut definitions, &session, &namespace, "Area").await?;
    let mut plants = Vec::new();
    for kind in 0..TYPES {
        plants.push(
            object_definition(
                &mut definitions,
                &session,
                &namespace,
                &format!("PlantT{kind}"),
            )
            .await?,
        );
    }

    let mut types = Vec::new();
    for (name, kind) in ATTRIBUTES {
        let value_type = match kind {
            Kind::Double => AttributeValueType::Double,
            Kind::Int => AttributeValueType::Int,
            Kind::Text => AttributeValueType::String,
            Kind::Bool => AttributeValueType::Bool,
        };
        let id = definitions
            .create_simple_attribute_type(CreateSimpleAttributeTypeRequest {
                session_id: Some(session.clone()),
                name_space_id: Some(namespace.clone()),
                name: name.into(),
                value_type: value_type as i32,
                ..Default::default()
            })
            .await
            .map_err(|s| failed("CreateSimpleAttributeType", s))?
            .into_inner()
            .id;
        let default = match kind {
            Kind::Double => DefaultOneof::DoubleValue(0.0),
            Kind::Int => DefaultOneof::IntValue(0),
            Kind::Text => DefaultOneof::StringValue(String::new()),
            Kind::Bool => DefaultOneof::BooleanValue(false),
        };
        types.push((by_id(id, "CreateSimpleAttributeType")?, default));
    }
    for plant in &plants {
        for (attribute_type, default) in &types {
            definitions
                .add_simple_attribute_definition(AddSimpleAttributeDefinitionRequest {
                    session_id: Some(session.clone()),
                    attribute_type_id: Some(attribute_type.clone()),
                    object_definition_id: Some(plant.clone()),
                    cardinality: 1,
                    default_value: Some(AttributeDefinitionDefaultValue {
                        value_oneof: Some(default.clone()),
                    }),
                    ..Default::default()
                })
                .await
                .map_err(|s| failed("AddSimpleAttributeDefinition", s))?;
        }
    }
    for (kind, plant) in plants.iter().enumerate() {
        let ownership = definitions
            .create_ownership_relation_attribute_type(CreateRelationAttributeTypeRequest {
                session_id: Some(session.clone()),
                name_space_id: Some(namespace.clone()),
                name: format!("PlantsT{kind}"),
                description: String::new(),
                target_object_definition_id: Some(plant.clone()),
                tag_ids: Vec::new(),
            })
            .await
            .map_err(|s| failed("CreateOwnershipRelationAttributeType", s))?
            .into_inner()
            .id;
        definitions
            .add_ownership_relation_attribute_definition(
                AddOwnershipRelationAttributeDefinitionRequest {
                    session_id: Some(session.clone()),
                    attribute_type_id: Some(by_id(
                        ownership,
                        "CreateOwnershipRelationAttributeType",
                    )?),
                    object_definition_id: Some(area.clone()),
                    description: String::new(),
                    cardinality: PLANTS_PER_ATTRIBUTE,
                },
            )
            .await
            .map_err(|s| failed("AddOwnershipRelationAttributeDefinition", s))?;
    }

    let mut objects = client.objects.clone();
    let model = objects
        .create_model(CreateModelRequest {
            session_id: Some(session.clone()),
            name: MODEL.into(),
            model_definition_id: Some(namespace.clone()),
        })
        .await
        .map_err(|s| failed("CreateModel", s))?
        .into_inner();
    let model = by_id(model.id, "CreateModel")?;
    let mut client = client.clone();
    for index in 0..areas {
        client
            .create_object(
                &session,
                format!("A{index:05}"),
                model.clone(),
                Some(area.clone()),
            )
            .await?;
    }
    client.commit(&session).await?;
    client.end_session(&session).await
}

async fn object_definition(
    definitions: &mut ModelDefinitionServiceClient<Channel>,
    session: &Guid,
    namespace: &MeshId,
    name: &str,
) -> anyhow::Result<MeshId> {
    let id = definitions
        .create_object_definition(CreateObjectDefinitionRequest {
            session_id: Some(session.clone()),
            name_space_id: Some(namespace.clone()),
            name: name.into(),
            description: String::new(),
            tag_ids: Vec::new(),
        })
        .await
        .map_err(|s| failed("CreateObjectDefinition", s))?
        .into_inner()
        .id;
    by_id(id, "CreateObjectDefinition")
}

/// How the plants are built: what is created, by how many sessions, and
/// how often each commits.
#[derive(Clone, Copy)]
struct Plan {
    objects: u64,
    areas: u64,
    sessions: u64,
    updates: u64,
    /// Each session commits after this many of its plants (0: only at the end).
    commit_every: u64,
}

/// What the build measured.
struct Built {
    create_time: Duration,
    commit_time: Duration,
    /// Each session's final commit, alone.
    commits: Vec<Duration>,
    /// Sorted latencies of the CreateObject calls, in nanoseconds.
    creates: Vec<u64>,
    /// Sorted latencies of the UpdateSimpleAttribute calls, in nanoseconds.
    updates: Vec<u64>,
    /// Sorted latencies of the commits made while creating (`commit_every`).
    batch_commits: Vec<u64>,
    /// When each plant was done (created and set), in nanoseconds since the
    /// build began, sorted.
    done: Vec<u64>,
}

/// What one session's share measured.
#[derive(Default)]
struct Share {
    creates: Vec<u64>,
    updates: Vec<u64>,
    batch_commits: Vec<u64>,
    done: Vec<u64>,
}

/// Creates every plant, `plan.sessions` sessions at once, then commits each
/// session's (remaining) share, all at once; the sessions are ended
/// afterwards.
async fn build(address: SocketAddr, plan: Plan) -> anyhow::Result<Built> {
    let mut clients = Vec::new();
    for _ in 0..plan.sessions {
        let client = Client::connect(address).await?;
        let session = client.start_session().await?;
        clients.push((client, session));
    }

    let began = Instant::now();
    let mut creating = JoinSet::new();
    for (number, (client, session)) in clients.iter().cloned().enumerate() {
        creating
            .spawn(async move { create_share(client, session, number as u64, plan, began).await });
    }
    let mut all = Share::default();
    while let Some(joined) = creating.join_next().await {
        let share = joined.context("a creating task failed")??;
        all.creates.extend(share.creates);
        all.updates.extend(share.updates);
        all.batch_commits.extend(share.batch_commits);
        all.done.extend(share.done);
    }
    let create_time = began.elapsed();

    let began = Instant::now();
    let mut committing = JoinSet::new();
    for (client, session) in &clients {
        let (client, session) = (client.clone(), session.clone());
        committing.spawn(async move {
            let began = Instant::now();
            client.commit(&session).await?;
            anyhow::Ok(began.elapsed())
        });
    }
    let mut commits = Vec::new();
    while let Some(joined) = committing.join_next().await {
        commits.push(joined.context("a committing task failed")??);
    }
    let commit_time = began.elapsed();
    commits.sort();
    for (client, session) in &clients {
        client.end_session(session).await?;
    }
    for latencies in [
        &mut all.creates,
        &mut all.updates,
        &mut all.batch_commits,
        &mut all.done,
    ] {
        latencies.sort_unstable();
    }
    Ok(Built {
        create_time,
        commit_time,
        commits,
        creates: all.creates,
        updates: all.updates,
        batch_commits: all.batch_commits,
        done: all.done,
    })
}

/// One session's share: the plants of areas `a % sessions == number`, with
/// a commit after every `plan.commit_every` of them (not after the last).
async fn create_share(
    mut client: Client,
    session: Guid,
    number: u64,
    plan: Plan,
    build_began: Instant,
) -> anyhow::Result<Share> {
    let mut share = Share::default();
    let mut pending = 0;
    for index in 0..plan.objects {
        let plant = Plant::new(index, plan.areas);
        if plant.area % plan.sessions != number {
            continue;
        }
        if plan.commit_every > 0 && pending == plan.commit_every {
            let began = Instant::now();
            client.commit(&session).await?;
            share.batch_commits.push(began.elapsed().as_nanos() as u64);
            pending = 0;
        }
        let path = plant.path();
        let began = Instant::now();
        let object = client
            .create_object(&session, plant.name(), by_path(plant.owner_path()), None)
            .await
            .with_context(|| format!("creating {path}"))?;
        share.creates.push(began.elapsed().as_nanos() as u64);
        if object.path != path {
            bail!(
                "CreateObject of {path} answered an object at {:?}",
                object.path
            );
        }
        for (k, (name, _)) in ATTRIBUTES.iter().enumerate().take(plan.updates as usize) {
            let began = Instant::now();
            client
                .set(&session, format!("{path}.{name}"), value_of(index, k))
                .await
                .with_context(|| format!("setting {path}.{name}"))?;
            share.updates.push(began.elapsed().as_nanos() as u64);
        }
        pending += 1;
        share.done.push(build_began.elapsed().as_nanos() as u64);
    }
    Ok(share)
}

/// Plants done per second in each tenth of the build (by count), from the
/// sorted moments each plant was done.
fn rate_by_tenth(done: &[u64]) -> Vec<u64> {
    let mut rates = Vec::new();
    let mut start = 0u64;
    for tenth in 1..=10 {
        let first = done.len() * (tenth - 1) / 10;
        let last = done.len() * tenth / 10;
        if last == first {
            continue;
        }
        let end = done[last - 1];
        let seconds = (end.saturating_sub(start)) as f64 / 1e9;
        rates.push(((last - first) as f64 / seconds.max(1e-9)).round() as u64);
        start = end;
    }
    rates
}

/// GetObject of random plants by path, and the search for one type, in a
/// fresh session; what looked wrong goes to `problems`.
async fn reads(
    client: &Client,
    args: &ModelArgs,
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    let mut client = client.clone();
    let session = client.start_session().await?;
    let mut rng = Rng::new(args.seed);

    // Warm-up: a few reads, so the first connection's costs are not counted.
    for _ in 0..20.min(args.gets) {
        let plant = Plant::new(rng.below(args.objects), args.areas);
        client.get_object(&session, plant.path()).await?;
    }
    let mut gets = Vec::with_capacity(args.gets as usize);
    let began = Instant::now();
    for _ in 0..args.gets {
        let plant = Plant::new(rng.below(args.objects), args.areas);
        let path = plant.path();
        let call = Instant::now();
        let object = client.get_object(&session, path.clone()).await?;
        gets.push(call.elapsed().as_nanos() as u64);
        if let Some(problem) = check_plant(&plant, &object, args.updates) {
            problems.push(format!("GetObject {path}: {problem}"));
        }
    }
    let elapsed = began.elapsed();
    gets.sort_unstable();
    println!(
        "  GetObject by full path, {} random plants (no masks: all 10 attributes with definitions):",
        thousands(args.gets)
    );
    println!(
        "    p50 {}, p99 {}, max {}; {} calls/s",
        latency(percentile(&gets, 50.0)),
        latency(percentile(&gets, 99.0)),
        latency(percentile(&gets, 100.0)),
        thousands(rate(args.gets, elapsed))
    );

    let expected = plants_of_type(args.objects, args.areas, SEARCHED_TYPE);
    let query = format!("*[.Type=PlantT{SEARCHED_TYPE}]");
    for (what, object_fields, attribute_fields) in [
        ("no masks: all fields", &[][..], &[][..]),
        (
            "SDK's basic attribute mask",
            &[][..],
            BASIC_ATTRIBUTE_FIELDS,
        ),
        (
            "object mask id,path: no attributes",
            &["id", "path"][..],
            &[][..],
        ),
    ] {
        let mut times = Vec::new();
        let mut found = Vec::new();
        for _ in 0..args.searches {
            let began = Instant::now();
            found = client
                .search(&session, &query, object_fields, attribute_fields)
                .await?;
            times.push(began.elapsed());
        }
        times.sort();
        println!(
            "  SearchObjects {query} from Model/{MODEL} ({what}): median {:.1} ms, min {:.1} ms of {}; found {} (expected {})",
            times[times.len() / 2].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            args.searches,
            thousands(found.len() as u64),
            thousands(expected)
        );
        if found.len() as u64 != expected {
            problems.push(format!(
                "SearchObjects {query} ({what}): found {} objects, expected {expected}",
                found.len()
            ));
        }
        let wrong = found
            .iter()
            .filter(|o| !o.path.contains(&format!(".PlantsT{SEARCHED_TYPE}/")))
            .count();
        if wrong > 0 {
            problems.push(format!(
                "SearchObjects {query} ({what}): {wrong} objects found outside PlantsT{SEARCHED_TYPE}"
            ));
        }
        if object_fields.is_empty() {
            let wrong = found
                .iter()
                .filter(|o| o.type_name != format!("PlantT{SEARCHED_TYPE}"))
                .count();
            if wrong > 0 {
                problems.push(format!(
                    "SearchObjects {query}: {wrong} objects found have another type_name"
                ));
            }
        }
    }
    client.end_session(&session).await
}

/// What is wrong with `object` as the answer for `plant`, if anything.
fn check_plant(plant: &Plant, object: &Object, updates: u64) -> Option<String> {
    if object.path != plant.path() {
        return Some(format!("answered path {:?}", object.path));
    }
    if object.type_name != format!("PlantT{}", plant.kind) {
        return Some(format!("answered type {:?}", object.type_name));
    }
    if object.attributes.len() != ATTRIBUTES.len() {
        return Some(format!(
            "answered {} attributes, expected {}",
            object.attributes.len(),
            ATTRIBUTES.len()
        ));
    }
    for (k, (name, _)) in ATTRIBUTES.iter().enumerate().take(updates as usize) {
        let value = object
            .attributes
            .iter()
            .find(|a| a.name == *name)
            .and_then(|a| a.values.first())
            .and_then(|v| v.value_oneof.clone());
        let expected = value_of(plant.index, k);
        if value.as_ref() != Some(&expected) {
            return Some(format!("{name} is {value:?}, set to {expected:?}"));
        }
    }
    None
}

/// Time from `since` until the server at `address` answers a GetObject of
/// `path`; connection failures are retried (the port is bound before the
/// model is loaded, so they should not happen).
async fn first_answer(address: SocketAddr, path: &str, since: Instant) -> anyhow::Result<Duration> {
    let deadline = since + RESTART_TIMEOUT;
    loop {
        let attempt = async {
            let mut client = Client::connect(address).await?;
            let session = client.start_session().await?;
            let object = client.get_object(&session, path.to_string()).await?;
            let answered = since.elapsed();
            if object.path != path {
                bail!("GetObject {path} answered {:?}", object.path);
            }
            client.end_session(&session).await?;
            anyhow::Ok(answered)
        };
        match attempt.await {
            Ok(answered) => return Ok(answered),
            Err(error) if Instant::now() > deadline => {
                return Err(error.context("the restarted server did not answer"))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

fn print_memory(when: &str, before: u64, after: u64, n: u64) {
    let delta = after as i64 - before as i64;
    println!(
        "  VmRSS before the build: {}   (definitions and areas committed)",
        bytes(before as i64)
    );
    println!("  VmRSS {when}: {}", bytes(after as i64));
    println!(
        "  delta {}; per object {:.0} bytes (delta / {})",
        bytes(delta),
        delta as f64 / n as f64,
        thousands(n)
    );
}

/// `count` per second of `elapsed`, rounded.
fn rate(count: u64, elapsed: Duration) -> u64 {
    (count as f64 / elapsed.as_secs_f64().max(1e-9)).round() as u64
}

/// VmRSS after a short pause, so that answers still being written when the
/// last call returned do not count.
async fn settled_rss(server: &ServerProcess) -> anyhow::Result<u64> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.rss_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_by_tenth_count_each_tenth() {
        // One plant per millisecond for the first half, one per 2 ms after.
        let mut done: Vec<u64> = (1..=50).map(|i| i * 1_000_000).collect();
        done.extend((1..=50).map(|i| 50_000_000 + i * 2_000_000));
        assert_eq!(
            rate_by_tenth(&done),
            vec![1000, 1000, 1000, 1000, 1000, 500, 500, 500, 500, 500]
        );
        assert!(rate_by_tenth(&[]).is_empty());
    }

    #[test]
    fn a_tenth_of_the_plants_has_each_type() {
        assert_eq!(plants_of_type(100_000, 100, 3), 10_000);
        assert_eq!(plants_of_type(2_000, 100, 3), 200);
        let plant = Plant::new(4242, 100);
        assert_eq!(plant.path(), "Model/Bench/A00042.PlantsT2/P0004242");
    }
}
