//! The one database-URL parser: SQLAlchemy (`postgresql+psycopg2://`) and
//! libpq URLs, percent-decoded, read by pg-check (to connect), k8s-check (to
//! compare DATABASE_URL with DB_*) and llm-sim (to record). The password is
//! kept private and no error message ever quotes the URL or any part of it
//! that could hold the password: a raw `/`, `?`, `:` or `@` in a password
//! (which libpq wants percent-encoded, but people write anyway) still parses,
//! because the user information ends at the last `@`.

use std::fmt;

/// DbUrl is a parsed database URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    /// User (percent-decoded); `None` when the URL names none.
    pub user: Option<String>,
    password: Option<String>,
    /// Host name or address, or a Unix-socket directory (`?host=/run/postgresql`);
    /// `None` when the URL names none.
    pub host: Option<String>,
    /// Port; `None` when the URL names none.
    pub port: Option<u16>,
    /// Database name; `None` when the URL names none.
    pub dbname: Option<String>,
    /// `sslmode` from the query, as written.
    pub sslmode: Option<String>,
    /// `sslrootcert` from the query.
    pub sslrootcert: Option<String>,
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// percent_decode decodes `%XX` escapes (two hex digits); anything else is
/// kept as written. URL passwords here and parameter names in
/// [`crate::redact`] are read with it.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl DbUrl {
    /// DbUrl::parse reads `postgresql[+driver]://[user[:password]@][host][:port][/db][?k=v&…]`.
    /// Errors say what is wrong without quoting the URL.
    pub fn parse(url: &str) -> Result<DbUrl, String> {
        let (scheme, rest) = url.split_once("://").ok_or("expected postgresql://user:password@host:port/dbname")?;
        let base = scheme.split('+').next().unwrap_or_default();
        if base != "postgresql" && base != "postgres" {
            return Err("the scheme is not postgresql:// (or postgresql+driver://)".into());
        }
        // The user information ends at the last `@`: a password may hold
        // anything, the host part cannot hold an `@`.
        let (userinfo, after) = match rest.rfind('@') {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (None, rest),
        };
        let (after, query) = after.split_once('?').unwrap_or((after, ""));
        let (hostport, db) = after.split_once('/').unwrap_or((after, ""));
        let (user, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((a, b)) => (Some(percent_decode(a)), Some(percent_decode(b))),
                None => (Some(percent_decode(u)), None),
            },
            None => (None, None),
        };
        let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
            let (h, p) = h.split_once(']').ok_or("unclosed [ in the host")?;
            (h.to_string(), p.strip_prefix(':').unwrap_or(""))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p),
                None => (hostport.to_string(), ""),
            }
        };
        let mut port: Option<u16> = if port.is_empty() {
            None
        } else {
            Some(port.parse().map_err(|_| "the port is not a number from 1 to 65535".to_string())?)
        };
        let mut out = DbUrl {
            user: user.filter(|u| !u.is_empty()),
            password,
            host: Some(percent_decode(&host)).filter(|h| !h.is_empty()),
            port: None,
            dbname: Some(percent_decode(db)).filter(|d| !d.is_empty()),
            sslmode: None,
            sslrootcert: None,
        };
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let v = percent_decode(v);
            match k {
                "sslmode" => out.sslmode = Some(v),
                "sslrootcert" => out.sslrootcert = Some(v),
                "host" if !v.is_empty() => out.host = Some(v),
                "port" => port = Some(v.parse().map_err(|_| "the port is not a number from 1 to 65535".to_string())?),
                "user" if !v.is_empty() => out.user = Some(v),
                "dbname" if !v.is_empty() => out.dbname = Some(v),
                _ => {}
            }
        }
        if port == Some(0) {
            return Err("the port is not a number from 1 to 65535".into());
        }
        out.port = port;
        Ok(out)
    }

    /// DbUrl::password is the secret, for connecting and for redaction only.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// DbUrl::host_is_socket says whether the host is a Unix-socket directory.
    pub fn host_is_socket(&self) -> bool {
        self.host.as_deref().is_some_and(|h| h.starts_with('/'))
    }

    /// DbUrl::display is the URL with the password masked, as printed everywhere.
    pub fn display(&self) -> String {
        let pw = if self.password.is_some() { ":***" } else { "" };
        let user = self.user.as_deref().unwrap_or("");
        let at = if user.is_empty() && pw.is_empty() { "" } else { "@" };
        let host = self.host.as_deref().unwrap_or("");
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("postgresql://{user}{pw}{at}{host}{port}/{}", self.dbname.as_deref().unwrap_or(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_parse() {
        let u = DbUrl::parse("postgresql+psycopg2://navi:p%40ss@db.example:6543/navi?sslmode=require").expect("url");
        assert_eq!(u.user.as_deref(), Some("navi"));
        assert_eq!(u.password(), Some("p@ss"));
        assert_eq!((u.host.as_deref(), u.port, u.dbname.as_deref()), (Some("db.example"), Some(6543), Some("navi")));
        assert_eq!(u.sslmode.as_deref(), Some("require"));
        assert_eq!(u.display(), "postgresql://navi:***@db.example:6543/navi");
        let s = DbUrl::parse("postgresql:///navi?host=/run/postgresql").expect("socket");
        assert!(s.host_is_socket());
        assert_eq!(s.dbname.as_deref(), Some("navi"));
    }

    #[test]
    fn raw_specials_in_the_password_stay_in_the_password() {
        for pw in ["a/b", "a?b", "a@b", "a:b/c?d@e"] {
            let u = DbUrl::parse(&format!("postgresql://u:{pw}@h:5432/db")).expect("url");
            assert_eq!(u.password(), Some(pw));
            assert_eq!((u.host.as_deref(), u.port, u.dbname.as_deref()), (Some("h"), Some(5432), Some("db")));
        }
    }

    #[test]
    fn errors_never_quote_the_url() {
        let secret = "S3cr3t-pw";
        for url in [
            format!("postgresql://u:{secret}@h:port{secret}/db"),
            format!("mysql{secret}://u:{secret}@h/db"),
            format!("u:{secret}@h/db"),
            format!("postgresql://u:{secret}@[h/db"),
        ] {
            let e = DbUrl::parse(&url).expect_err("bad url");
            assert!(!e.contains(secret), "{e}");
        }
    }
}
