//! Users of the web interface and their roles, kept in `ROOT/users.toml` with Argon2id
//! password hashes (PHC strings; the file is created readable by its owner only). Every
//! change is audited. The file has its own lock, not the archive's writer lock, so an
//! administrator can add a user while `archivist serve` runs; the server rereads the file
//! when it changes.

use std::path::{Path, PathBuf};

use anyhow::Context;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Actor, Archivist};
use crate::error::{Invalid, NotFound, Refused, Result};
use crate::store::audit::{AuditLog, Event};
use crate::store::fsutil;

/// What a user may do; the web interface maps each role to its pages in one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Puts scans in and fixes what could not be classified.
    Staff,
    /// Searches, opens scans, amends, places and releases holds, drafts and executes acts.
    Archivist,
    /// A member of the expert commission: reviews, comments on and signs off acts.
    Commission,
    /// The commission's chair: a member who also approves acts.
    Chair,
    /// Manages users; sees everything, approves nothing.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Staff,
        Role::Archivist,
        Role::Commission,
        Role::Chair,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Archivist => "archivist",
            Role::Commission => "commission",
            Role::Chair => "chair",
            Role::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> Result<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid(format!(
                    "{s:?} is not a role; use one of: staff, archivist, commission, chair, admin"
                ))
                .into()
            })
    }
}

/// A user as others may see it (no hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserInfo {
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub password_changed_at: DateTime<Utc>,
    /// Changes whenever the password does: a session opened under an older password
    /// is no longer valid.
    #[serde(skip)]
    pub stamp: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct UserRecord {
    name: String,
    role: Role,
    /// Argon2id PHC string.
    hash: String,
    #[serde(default)]
    disabled: bool,
    created_at: DateTime<Utc>,
    password_changed_at: DateTime<Utc>,
}

impl UserRecord {
    fn info(&self) -> UserInfo {
        UserInfo {
            name: self.name.clone(),
            role: self.role,
            disabled: self.disabled,
            created_at: self.created_at,
            password_changed_at: self.password_changed_at,
            stamp: fsutil::sha256_hex(self.hash.as_bytes())[..16].to_string(),
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct UsersFile {
    #[serde(default, rename = "user")]
    users: Vec<UserRecord>,
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

pub fn users_path(root: &Path) -> PathBuf {
    root.join("users.toml")
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Invalid(format!(
            "{name:?} is not a user name: use 1–64 letters, digits, '.', '_' or '-'"
        ))
        .into())
    }
}

fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Invalid(format!(
            "the password is too short: use at least {MIN_PASSWORD_CHARS} characters"
        ))
        .into());
    }
    Ok(())
}

fn hash_password(password: &str) -> Result<String> {
    let h = argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
    Ok(h.to_string())
}

fn verify_password(password: &str, phc: &str) -> bool {
    match argon2::PasswordHash::new(phc) {
        Ok(h) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a password nobody has, verified against for unknown names so that a wrong
/// name and a wrong password take the same time.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never valid").unwrap_or_default())
}

fn load(root: &Path) -> Result<UsersFile> {
    let p = users_path(root);
    match std::fs::read_to_string(&p) {
        Ok(t) => Ok(toml::from_str(&t)
            .with_context(|| format!("{} is not valid; fix or restore it", p.display()))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(UsersFile::default()),
        Err(e) => Err(anyhow::Error::new(e)
            .context(format!("cannot read {}", p.display()))
            .into()),
    }
}

fn save(root: &Path, f: &UsersFile) -> Result<()> {
    let p = users_path(root);
    let text = format!(
        "# Users of the web interface (`archivist serve`). Managed by `archivist user`;\n# passwords are Argon2id hashes. Every change is in the audit log.\n\n{}",
        toml::to_string_pretty(f).context("cannot serialise the users")?
    );
    // The temporary file is created mode 0600, so hashes are never world-readable.
    fsutil::write_atomic(&p, text.as_bytes(), true)
        .with_context(|| format!("cannot write {}", p.display()))?;
    Ok(())
}

/// Holds `ROOT/.users.lock` for a read-modify-write of the users file.
fn lock_users(root: &Path) -> Result<std::fs::File> {
    let p = root.join(".users.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .with_context(|| format!("cannot open {}", p.display()))?;
    f.lock()
        .with_context(|| format!("cannot lock {}", p.display()))?;
    Ok(f)
}

impl Archivist {
    /// The file the users are kept in.
    pub fn users_file(&self) -> PathBuf {
        users_path(&self.archive().root)
    }

    /// Every user, in name order.
    pub fn user_list(&self) -> Result<Vec<UserInfo>> {
        let mut v: Vec<UserInfo> = load(&self.archive().root)?
            .users
            .iter()
            .map(UserRecord::info)
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }

    /// One user, or `NotFound`.
    pub fn user(&self, name: &str) -> Result<UserInfo> {
        load(&self.archive().root)?
            .users
            .iter()
            .find(|u| u.name == name)
            .map(UserRecord::info)
            .ok_or_else(|| NotFound(format!("there is no user {name:?}")).into())
    }

    /// Adds a user with a role and a password (at least [`MIN_PASSWORD_CHARS`]).
    pub fn user_add(
        &self,
        name: &str,
        role: Role,
        password: &str,
        actor: &Actor,
    ) -> Result<UserInfo> {
        check_name(name)?;
        check_password(password)?;
        let root = &self.archive().root;
        let _lock = lock_users(root)?;
        let mut f = load(root)?;
        if f.users.iter().any(|u| u.name == name) {
            return Err(Refused(format!(
                "there is already a user {name:?}; change the password with `archivist user passwd {name}`"
            ))
            .into());
        }
        let now = Utc::now();
        let rec = UserRecord {
            name: name.to_string(),
            role,
            hash: hash_password(password)?,
            disabled: false,
            created_at: now,
            password_changed_at: now,
        };
        let info = rec.info();
        f.users.push(rec);
        save(root, &f)?;
        self.audit_user(actor, "user-added", json!({"user": name, "role": role}))?;
        Ok(info)
    }

    /// Sets a new password (and re-enables nothing: a disabled user stays disabled).
    pub fn user_passwd(&self, name: &str, password: &str, actor: &Actor) -> Result<UserInfo> {
        check_password(password)?;
        let hash = hash_password(password)?;
        self.change_user(name, actor, "user-password-changed", |u| {
            u.hash = hash;
            u.password_changed_at = Utc::now();
        })
    }

    /// Disables a user: they can no longer sign in, and their open sessions end.
    pub fn user_disable(&self, name: &str, actor: &Actor) -> Result<UserInfo> {
        self.change_user(name, actor, "user-disabled", |u| u.disabled = true)
    }

    /// Lets a disabled user sign in again.
    pub fn user_enable(&self, name: &str, actor: &Actor) -> Result<UserInfo> {
        self.change_user(name, actor, "user-enabled", |u| u.disabled = false)
    }

    /// Checks a name and password. `Ok(None)` for a wrong name, a wrong password or a
    /// disabled user alike (the caller must not tell them apart to the person signing
    /// in); all three take about the same time.
    pub fn user_authenticate(&self, name: &str, password: &str) -> Result<Option<UserInfo>> {
        let f = load(&self.archive().root)?;
        match f.users.iter().find(|u| u.name == name) {
            Some(u) => {
                let ok = verify_password(password, &u.hash);
                Ok((ok && !u.disabled).then(|| u.info()))
            }
            None => {
                let _ = verify_password(password, decoy_hash());
                Ok(None)
            }
        }
    }

    fn change_user(
        &self,
        name: &str,
        actor: &Actor,
        action: &str,
        change: impl FnOnce(&mut UserRecord),
    ) -> Result<UserInfo> {
        let root = &self.archive().root;
        let _lock = lock_users(root)?;
        let mut f = load(root)?;
        let Some(u) = f.users.iter_mut().find(|u| u.name == name) else {
            return Err(NotFound(format!(
                "there is no user {name:?} (see `archivist user list`)"
            ))
            .into());
        };
        change(u);
        let info = u.info();
        save(root, &f)?;
        self.audit_user(actor, action, json!({"user": name}))?;
        Ok(info)
    }

    fn audit_user(&self, actor: &Actor, action: &str, details: serde_json::Value) -> Result<()> {
        let journal = &self.archive().journal;
        let mut log = AuditLog::open(journal, actor)
            .with_context(|| format!("cannot open the audit log in {}", journal.display()))?;
        log.append_one(Event::new(action).details(details))
            .context("cannot write the audit log")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive() -> (tempfile::TempDir, Archivist) {
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = Archivist::init(&dir.path().join("a"), None).unwrap();
        (dir, a)
    }

    #[test]
    fn users_are_added_checked_changed_and_disabled_with_audit() {
        let (_d, a) = archive();
        let me = Actor::new("admin@host");
        let u = a
            .user_add("ivanova", Role::Archivist, "correct horse", &me)
            .unwrap();
        assert_eq!(u.role, Role::Archivist);
        assert!(
            a.user_add("ivanova", Role::Staff, "another one", &me)
                .is_err()
        );
        assert!(a.user_add("x y", Role::Staff, "long enough", &me).is_err());
        assert!(a.user_add("petrov", Role::Staff, "short", &me).is_err());

        let ok = a.user_authenticate("ivanova", "correct horse").unwrap();
        assert_eq!(ok.as_ref().map(|u| u.role), Some(Role::Archivist));
        assert!(
            a.user_authenticate("ivanova", "wrong horse")
                .unwrap()
                .is_none()
        );
        assert!(
            a.user_authenticate("nobody", "correct horse")
                .unwrap()
                .is_none()
        );

        let before = ok.unwrap().stamp;
        let after = a.user_passwd("ivanova", "battery staple", &me).unwrap();
        assert_ne!(before, after.stamp, "a new password invalidates sessions");
        assert!(
            a.user_authenticate("ivanova", "correct horse")
                .unwrap()
                .is_none()
        );

        a.user_disable("ivanova", &me).unwrap();
        assert!(
            a.user_authenticate("ivanova", "battery staple")
                .unwrap()
                .is_none()
        );
        assert_eq!(
            a.user_disable("nobody", &me).unwrap_err().kind(),
            crate::error::ErrorKind::NotFound
        );

        let text = std::fs::read_to_string(a.users_file()).unwrap();
        assert!(text.contains("$argon2id$"), "{text}");
        assert!(!text.contains("battery staple"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(a.users_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "users.toml must not be readable by others");

        let log = crate::store::audit::history_all(&a.archive().journal).unwrap();
        let actions: Vec<_> = log.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            ["user-added", "user-password-changed", "user-disabled"]
        );
        assert!(log.iter().all(|r| r.actor == "admin@host"));
    }
}
