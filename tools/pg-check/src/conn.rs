//! Connecting the way libpq users expect: SQLAlchemy or libpq URLs (or the
//! `PG*` variables), `sslmode` with libpq's meaning, TLS through rustls (no
//! system OpenSSL), one read-only session with statement and lock timeouts.
//!
//! tokio-postgres knows only disable/prefer/require and rejects
//! `verify-ca`/`verify-full`/`sslrootcert`, so the URL is parsed here and the
//! rustls configuration decides what is verified: `require` encrypts without
//! checking the certificate (but still checks handshake signatures),
//! `verify-ca` checks the chain, `verify-full` the chain and the host name.

use std::sync::Arc;
use std::time::Duration;

use navikit::Error;
use postgres::config::SslMode as PgSslMode;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// SslMode is libpq's sslmode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it, unverified.
    Prefer,
    /// TLS required, certificate not verified.
    Require,
    /// TLS required, chain verified against the root certificate.
    VerifyCa,
    /// TLS required, chain and host name verified.
    VerifyFull,
}

impl SslMode {
    /// SslMode::parse reads libpq's names.
    pub fn parse(s: &str) -> Result<SslMode, String> {
        Ok(match s.trim() {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!("unknown sslmode `{other}` (disable, prefer, require, verify-ca, verify-full)"));
            }
        })
    }

    /// SslMode::name is libpq's name.
    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Target is a parsed connection target. The password is kept only here.
#[derive(Clone)]
pub struct Target {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User.
    pub user: String,
    password: Option<String>,
    /// Database.
    pub dbname: String,
    /// TLS mode.
    pub sslmode: SslMode,
    /// Root certificate file for verify-ca/verify-full.
    pub sslrootcert: Option<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl Target {
    /// Target::display is the target with the password masked, as printed everywhere.
    pub fn display(&self) -> String {
        let pw = if self.password.is_some() { ":***" } else { "" };
        format!("postgresql://{}{pw}@{}:{}/{}", self.user, self.host, self.port, self.dbname)
    }

    /// Target::password is the secret, for redacting error messages.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Target::from_url parses `postgresql[+driver]://user:pass@host:port/db?sslmode=…`
    /// with navikit's one parser; errors never quote the URL.
    pub fn from_url(url: &str, sslmode_override: Option<&str>) -> Result<Target, Error> {
        let u = navikit::dburl::DbUrl::parse(url).map_err(|e| Error::input(format!("database URL: {e}")))?;
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let mode_text = sslmode_override
            .map(str::to_string)
            .or(u.sslmode.clone())
            .or_else(|| var("PGSSLMODE"))
            .unwrap_or_else(|| "prefer".into());
        let sslmode = SslMode::parse(&mode_text).map_err(|e| Error::input(format!("database URL: {e}")))?;
        let (user, password) = match &u.user {
            Some(user) => (user.clone(), u.password().map(str::to_string)),
            None => (
                var("PGUSER").unwrap_or_else(|| "postgres".into()),
                u.password().map(str::to_string).or(var("PGPASSWORD")),
            ),
        };
        Ok(Target {
            host: u.host.clone().unwrap_or_else(|| "localhost".into()),
            port: u.port.unwrap_or(5432),
            user,
            password,
            dbname: u.dbname.clone().unwrap_or_else(|| "postgres".into()),
            sslmode,
            sslrootcert: u.sslrootcert.clone().or_else(|| var("PGSSLROOTCERT")),
        })
    }

    /// Target::from_pg_env builds a target from libpq's `PG*` variables.
    pub fn from_pg_env(sslmode_override: Option<&str>) -> Result<Target, Error> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let host =
            var("PGHOST").ok_or_else(|| Error::input("no database: set --database-url, DATABASE_URL or PGHOST"))?;
        let port = var("PGPORT")
            .map(|p| p.parse().map_err(|_| Error::input(format!("PGPORT `{p}` is not a number"))))
            .transpose()?
            .unwrap_or(5432);
        let mode = sslmode_override.map(str::to_string).or(var("PGSSLMODE")).unwrap_or_else(|| "prefer".into());
        Ok(Target {
            host,
            port,
            user: var("PGUSER").unwrap_or_else(|| "postgres".into()),
            password: var("PGPASSWORD"),
            dbname: var("PGDATABASE").unwrap_or_else(|| "postgres".into()),
            sslmode: SslMode::parse(&mode).map_err(Error::input)?,
            sslrootcert: var("PGSSLROOTCERT"),
        })
    }
}

/// Limits bound the session.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connect timeout.
    pub connect: Duration,
    /// statement_timeout.
    pub statement: Duration,
    /// lock_timeout.
    pub lock: Duration,
}

#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// ChainOnly verifies the chain but not the host name (libpq's verify-ca).
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(m, c, d)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(m, c, d)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

fn roots(t: &Target) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore::empty();
    match &t.sslrootcert {
        Some(path) => {
            use rustls_pki_types::pem::PemObject;
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| Error::input(format!("sslrootcert {path}: {e}")))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::input(format!("sslrootcert {path}: {e}")))?;
            for c in certs {
                store.add(c).map_err(|e| Error::input(format!("sslrootcert {path}: {e}")))?;
            }
        }
        None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(store)
}

fn tls_config(t: &Target) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::input(format!("TLS set-up: {e}")))?;
    let config = match t.sslmode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
            .with_no_client_auth(),
        SslMode::VerifyCa => {
            let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots(t)?), provider)
                .build()
                .map_err(|e| Error::input(format!("TLS set-up: {e}")))?;
            builder.dangerous().with_custom_certificate_verifier(Arc::new(ChainOnly(inner))).with_no_client_auth()
        }
        SslMode::VerifyFull => builder.with_root_certificates(roots(t)?).with_no_client_auth(),
    };
    Ok(config)
}

/// connect opens the one read-only session pg-check uses.
pub fn connect(t: &Target, limits: &Limits) -> Result<postgres::Client, String> {
    let mut cfg = postgres::Config::new();
    cfg.host(&t.host)
        .port(t.port)
        .user(&t.user)
        .dbname(&t.dbname)
        .application_name("pg-check")
        .connect_timeout(limits.connect)
        .options(&format!(
            "-c default_transaction_read_only=on -c statement_timeout={} -c lock_timeout={}",
            limits.statement.as_millis().max(1),
            limits.lock.as_millis().max(1)
        ))
        .ssl_mode(match t.sslmode {
            SslMode::Disable => PgSslMode::Disable,
            SslMode::Prefer => PgSslMode::Prefer,
            _ => PgSslMode::Require,
        });
    if let Some(p) = &t.password {
        cfg.password(p);
    }
    let tls = tls_config(t).map_err(|e| e.to_string())?;
    // The driver's connect timeout covers the TCP connect only: a server that
    // accepts and then says nothing (before or after the SSL answer) would
    // hang it. The whole start-up exchange is bounded here instead.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(cfg.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls)).map_err(|e| describe(&e)));
    });
    match rx.recv_timeout(limits.connect) {
        Ok(result) => result,
        Err(_) => Err(format!(
            "no complete answer within {} s (connect, TLS and start-up): the server accepted the connection and then stalled",
            limits.connect.as_secs_f64()
        )),
    }
}

/// watchdog ends the process if the whole run outlives `limit`: a server
/// that stops answering mid-query cannot hang a cron job. What was measured
/// is already written; the message says why the rest is missing.
pub fn watchdog(limit: Duration) {
    std::thread::spawn(move || {
        // A limit beyond any real run (a huge --statement-timeout) means no watchdog.
        if limit > Duration::from_secs(7 * 24 * 3600) {
            return;
        }
        std::thread::sleep(limit);
        eprintln!(
            "pg-check: gave up after {} s: the database stopped answering (checks not written did not run)",
            limit.as_secs()
        );
        std::process::exit(1);
    });
}

/// describe flattens a postgres error and its causes into one line.
pub fn describe(e: &postgres::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let t = s.to_string();
        if !msg.contains(&t) {
            msg.push_str(": ");
            msg.push_str(&t);
        }
        src = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlalchemy_urls_parse_and_print_masked() {
        let t = Target::from_url("postgresql+psycopg2://navi_staging:p%40ss@db.example:6543/navi_staging?sslmode=verify-full&sslrootcert=/ca.pem", None).unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.user.as_str(), t.dbname.as_str()),
            ("db.example", 6543, "navi_staging", "navi_staging")
        );
        assert_eq!(t.password(), Some("p@ss"));
        assert_eq!(t.sslmode, SslMode::VerifyFull);
        assert_eq!(t.sslrootcert.as_deref(), Some("/ca.pem"));
        assert_eq!(t.display(), "postgresql://navi_staging:***@db.example:6543/navi_staging");
        assert_eq!(format!("{t:?}"), t.display());
        let t = Target::from_url("postgres://u:pw@h/db", Some("require")).unwrap();
        assert_eq!((t.port, t.sslmode), (5432, SslMode::Require));
        let e = Target::from_url("mysql://u:secretpw@h/db", None).unwrap_err().to_string();
        assert!(e.contains("not postgresql") && !e.contains("secretpw"), "{e}");
        let e = Target::from_url("postgresql://u:secretpw@h:abc/db", None).unwrap_err().to_string();
        assert!(e.contains("port is not a number") && !e.contains("secretpw"), "{e}");
        // A raw `/` or `?` in a password is still the password, never printed.
        let t = Target::from_url("postgresql://u:se/cr?et@h:5433/db", None).unwrap();
        assert_eq!((t.password(), t.port, t.dbname.as_str()), (Some("se/cr?et"), 5433, "db"));
        let e = Target::from_url("postgresql://u:se/cr?et@h:x/db", None).unwrap_err().to_string();
        assert!(!e.contains("cr?et") && !e.contains("se/"), "{e}");
        assert!(
            Target::from_url("postgresql://h/db?sslmode=sometimes", None)
                .unwrap_err()
                .to_string()
                .contains("unknown sslmode")
        );
    }
}
