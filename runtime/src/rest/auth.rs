//! HTTP Basic authentication against `httpAuthUsersFile`: one `user:<hash>` per line, the hash
//! an argon2 (`$argon2id$…`) or bcrypt (`$2b$…`) string; `#` starts a comment. Hash checks are
//! deliberately slow, so an accepted `Authorization` header is remembered (a bounded set of
//! exact header values) and not re-hashed on every request.

use std::collections::HashSet;
use std::path::Path;

use argon2::PasswordVerifier;
use base64::Engine;
use parking_lot::Mutex;

/// How many accepted credentials are remembered.
const REMEMBERED: usize = 64;

/// The users allowed to call the API.
#[derive(Debug)]
pub struct Users {
    entries: Vec<(String, Hash)>,
    accepted: Mutex<HashSet<String>>,
}

#[derive(Debug)]
enum Hash {
    Argon2(String),
    Bcrypt(String),
}

impl Users {
    /// Reads a users file, naming the line of any problem.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read httpAuthUsersFile {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("httpAuthUsersFile {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (user, hash) = line.split_once(':').ok_or_else(|| {
                format!("line {}: expected user:<argon2 or bcrypt hash>", index + 1)
            })?;
            let hash = if hash.starts_with("$argon2") {
                argon2::PasswordHash::new(hash)
                    .map_err(|e| format!("line {}: not a valid argon2 hash: {e}", index + 1))?;
                Hash::Argon2(hash.to_owned())
            } else if ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p)) {
                Hash::Bcrypt(hash.to_owned())
            } else {
                return Err(format!(
                    "line {}: the password of {user} must be an argon2 ($argon2id$…) or bcrypt ($2b$…) hash, never plain text",
                    index + 1
                ));
            };
            entries.push((user.to_owned(), hash));
        }
        if entries.is_empty() {
            return Err("no users".to_owned());
        }
        Ok(Self {
            entries,
            accepted: Mutex::new(HashSet::new()),
        })
    }

    /// True when `authorization` (an `Authorization` header value) names a user with the right
    /// password.
    pub fn verify(&self, authorization: &str) -> bool {
        if self.accepted.lock().contains(authorization) {
            return true;
        }
        let Some(encoded) = authorization
            .strip_prefix("Basic ")
            .or_else(|| authorization.strip_prefix("basic "))
        else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let Ok(decoded) = String::from_utf8(decoded) else {
            return false;
        };
        let Some((user, password)) = decoded.split_once(':') else {
            return false;
        };
        let ok = self
            .entries
            .iter()
            .filter(|(name, _)| name == user)
            .any(|(_, hash)| match hash {
                Hash::Argon2(phc) => argon2::PasswordHash::new(phc).is_ok_and(|parsed| {
                    argon2::Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                }),
                Hash::Bcrypt(hash) => bcrypt::verify(password, hash).unwrap_or(false),
            });
        if ok {
            let mut accepted = self.accepted.lock();
            if accepted.len() >= REMEMBERED {
                accepted.clear();
            }
            accepted.insert(authorization.to_owned());
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, password: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    }

    #[test]
    fn argon2_and_bcrypt_hashes_verify() {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let argon = argon2::Argon2::default()
            .hash_password(b"s3cret", &salt)
            .unwrap()
            .to_string();
        let bcrypt = bcrypt::hash("hunter2", 4).unwrap();
        let users = Users::parse(&format!("# operators\nalice:{argon}\nbob:{bcrypt}\n")).unwrap();
        assert!(users.verify(&basic("alice", "s3cret")));
        assert!(users.verify(&basic("alice", "s3cret")), "remembered");
        assert!(users.verify(&basic("bob", "hunter2")));
        assert!(!users.verify(&basic("alice", "hunter2")));
        assert!(!users.verify(&basic("mallory", "s3cret")));
        assert!(!users.verify("Bearer x"));
        assert!(!users.verify("Basic !!!"));
    }

    #[test]
    fn plain_text_passwords_are_refused() {
        let error = Users::parse("alice:s3cret\n").unwrap_err();
        assert!(
            error.contains("line 1") && error.contains("hash"),
            "{error}"
        );
        assert!(Users::parse("# nobody\n").is_err());
    }
}
