//! The connection options, as an SDK [`Connection`].

use anyhow::Context;
use mesh::Connection;

use crate::args::ConnectionArgs;

/// Connects as the options say: Kerberos (over TLS) when a service
/// principal is given; TLS when a root certificate, a token or an
/// `https://` address is given (or --tls); in the clear otherwise.
pub async fn connect(args: &ConnectionArgs) -> anyhow::Result<Connection> {
    let token = match (&args.token, &args.token_file) {
        (Some(token), _) => Some(token.clone()),
        (None, Some(file)) => Some(
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the token file {}", file.display()))?
                .trim()
                .to_string(),
        ),
        (None, None) => None,
    };
    let root = match &args.tls_root {
        Some(file) => Some(
            std::fs::read(file)
                .with_context(|| format!("cannot read the root certificates {}", file.display()))?,
        ),
        None => None,
    };
    let address = args.address.as_str();
    if let Some(service) = &args.kerberos_service_principal {
        return Ok(Connection::with_kerberos(
            address,
            root.as_deref(),
            service,
            args.kerberos_user.as_deref(),
        )
        .await?);
    }
    let connection = match token {
        Some(token) => {
            Connection::with_external_access_token(address, root.as_deref(), &token).await?
        }
        None if root.is_some() || args.tls || address.starts_with("https://") => {
            Connection::with_tls(address, root.as_deref()).await?
        }
        None => Connection::insecure(address).await?,
    };
    Ok(connection)
}
