//! The `secret_key`: every key command the crate prints or documents makes a
//! key a release launch accepts when pasted as it is, and the development key
//! file is trusted only if this user alone could have written it.

use rocket::figment::value::Value;
use rocket::figment::Figment;
use rocket_security::{Security, SecurityConfig};

/// The commands in backticks that start with `openssl rand`.
fn commands_in(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).filter(|s| s.starts_with("openssl rand")).map(str::to_string).collect()
}

/// What the shell's `$(…)` gives for `command`: its output, final newlines removed.
fn output_of(script: &str) -> String {
    let out = std::process::Command::new("sh").arg("-c").arg(script).output().expect("sh");
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim_end_matches('\n').to_string()
}

/// Whether a release launch with sessions and CSRF tokens ignites with
/// `ROCKET_SECRET_KEY` set to `value` (read as Rocket's environment provider
/// reads a variable).
async fn release_ignites_with(value: &str) -> Result<(), String> {
    let figment = Figment::from(rocket::Config::release_default())
        .merge(("log_level", "off"))
        .merge(("secret_key", value.parse::<Value>().expect("infallible")))
        .merge(("security.session.enabled", true))
        .merge(("security.csrf.token", true))
        .merge(("security.allowed_hosts", ["www.example.com"]));
    rocket::custom(figment).attach(Security::fairing()).ignite().await.map(drop).map_err(|e| format!("{e:?}"))
}

/// Every `openssl rand` command in the crate's messages about the key.
fn printed_commands() -> Vec<String> {
    let release = |pairs: &[(&str, Value)]| {
        let mut f = Figment::from(rocket::Config::release_default());
        for (k, v) in pairs {
            f = f.merge((*k, v.clone()));
        }
        SecurityConfig::from_figment(&f).unwrap_err().iter().map(ToString::to_string).collect::<Vec<_>>()
    };
    let mut messages = vec![];
    messages.extend(release(&[("security.session.enabled", true.into())]));
    messages.extend(release(&[("security.session.enabled", true.into()), ("secret_key", "c2hvcnQ=".into())]));
    messages.extend(release(&[("security.csrf.token", true.into())]));
    let published = "o0/U03li/W+nN5Z4YuPxyKtIe1h60PBkvaK5wSxz2MwLNdc9JYwQlJ5mfKh/zKJbar/MArjkfTmsTmSabGC9GA==";
    messages.extend(release(&[("secret_key", published.into())]));
    let debug = Figment::from(rocket::Config::debug_default()).merge(("security.csrf.token", true));
    for f in Security::fairing().findings(&debug).unwrap() {
        messages.push(format!("{} {}", f.message(), f.fix()));
    }
    let commands: Vec<String> = messages.iter().flat_map(|m| commands_in(m)).collect();
    assert_eq!(commands.len(), 5, "one command in each message: {messages:#?}");
    commands
}

#[rocket::async_test]
async fn every_key_command_the_crate_prints_makes_a_key_a_release_launch_accepts() {
    for command in printed_commands() {
        let key = output_of(&command);
        // One line of 88 base64 characters: what Rocket's own `secrets` feature also accepts
        // (openssl alone wraps it over two lines, which this crate reads too).
        assert!(key.len() == 88 && !key.contains(char::is_whitespace), "{command} gave {key:?}");
        assert_eq!(release_ignites_with(&key).await, Ok(()), "{command} gave {key:?}");
    }
}

#[rocket::async_test]
async fn every_key_command_the_documentation_shows_makes_a_key_a_release_launch_accepts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut assignments = vec![];
    for file in ["README.md", "Rocket.toml", "examples/production.rs"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        for (i, _) in text.match_indices("ROCKET_SECRET_KEY=\"$(") {
            let end = text[i..].find(")\"").expect("a closed $(…)") + i + 2;
            assignments.push((file, text[i..end].to_string()));
        }
    }
    assert_eq!(assignments.len(), 2, "{assignments:#?}");
    for (file, assignment) in assignments {
        // The line as a person pastes it, then the variable as the launch sees it.
        let key = output_of(&format!("{assignment}\nprintf '%s' \"$ROCKET_SECRET_KEY\""));
        assert_eq!(release_ignites_with(&key).await, Ok(()), "{file}: {assignment} gave {key:?}");
    }
}

#[cfg(unix)]
mod key_file {
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    use rocket_security::core::{development_secret_key, DEVELOPMENT_KEY_FILE};

    const KEY: &str = "6sBTY0Y3a0mFTlcvRKkT3V7Bvp9JeSj3Y4YMjgS2VtXbFqXw1n6Vhb5W8M0n5p2kI3t9QdGm1RrO0yZcK7hJmw==";

    /// A fresh directory holding a key file with `mode`.
    fn dir_with_key(name: &str, mode: u32) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("rs-key-file-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(DEVELOPMENT_KEY_FILE);
        std::fs::write(&file, KEY).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        (dir, file)
    }

    #[test]
    fn a_key_file_of_this_user_alone_is_used() {
        let (dir, _) = dir_with_key("own", 0o600);
        assert_eq!(development_secret_key(&dir).unwrap(), KEY);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_key_file_others_can_read_is_refused_with_the_fix() {
        let (dir, file) = dir_with_key("0644", 0o644);
        let p = file.display();
        assert_eq!(
            development_secret_key(&dir).unwrap_err().to_string(),
            format!(
                "{p} is readable or writable by other users (mode 0644): whoever read it can forge sessions; delete \
                 it (`rm {p}`) and a new key is made at the next start, or, if no one else could ever read it, run \
                 `chmod 600 {p}`"
            )
        );
        // The fix the message gives works.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(development_secret_key(&dir).unwrap(), KEY);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_symlinked_key_file_is_refused_and_not_followed() {
        let (dir, target) = dir_with_key("symlink", 0o600);
        let planted = dir.join("planted");
        std::fs::rename(&target, &planted).unwrap();
        std::os::unix::fs::symlink(&planted, &target).unwrap();
        let p = target.display();
        let refusal = format!(
            "{p} is a symbolic link, not a key file of this user's own: anyone who can change its target can forge \
             sessions; delete it (`rm {p}`) and a new key is made at the next start"
        );
        assert_eq!(development_secret_key(&dir).unwrap_err().to_string(), refusal);
        // A link to nowhere is refused the same way (no key is written through it).
        std::fs::remove_file(&planted).unwrap();
        assert_eq!(development_secret_key(&dir).unwrap_err().to_string(), refusal);
        assert!(!planted.exists(), "nothing written through the link");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_fifo_planted_as_the_key_file_is_refused_without_blocking_the_start() {
        let (dir, file) = dir_with_key("fifo", 0o600);
        std::fs::remove_file(&file).unwrap();
        let made = std::process::Command::new("mkfifo").arg("-m").arg("600").arg(&file).status().unwrap();
        assert!(made.success());
        // Without O_NONBLOCK the open would wait for a writer forever.
        let p = file.display();
        assert_eq!(
            development_secret_key(&dir).unwrap_err().to_string(),
            format!("{p} is not a regular file; delete it (`rm -r {p}`) and a new key is made at the next start")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_key_file_owned_by_another_user_is_refused() {
        let (dir, file) = dir_with_key("nobody", 0o600);
        // Only root can give a file away; the rule itself is also tested in
        // `core::secret` with another user id, which needs no root.
        if let Err(e) = std::os::unix::fs::chown(&file, Some(65534), Some(65534)) {
            eprintln!("SKIPPED: a key file owned by nobody (chown needs root: {e})");
            std::fs::remove_dir_all(&dir).unwrap();
            return;
        }
        let me = std::fs::metadata(&dir).unwrap();
        let p = file.display();
        assert_eq!(
            development_secret_key(&dir).unwrap_err().to_string(),
            format!(
                "{p} belongs to user 65534, not to this process's user ({}): another user may have planted the key; \
                 delete it (`rm {p}`) and a new key is made at the next start",
                std::os::unix::fs::MetadataExt::uid(&me)
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// `security.secret_key_fallbacks`: every bad entry fails the launch, named by its index, with the fix.
mod fallbacks {
    use rocket::figment::providers::{Format, Toml};
    use rocket::figment::Figment;
    use rocket_security::{Security, SecurityConfig};

    const CURRENT: &str = "/kFj0DPviOvaR2l9kDIKkEENCX9O0DwaD0mA5rMLUnuzb4i90CCimP495BGkuAsokp+81LZgfk8OolxjNECrmQ==";
    const RETIRED: &str = "QuHRjjNVS91P2uSf3xgDC7R2K+ZE0zQyN5zn5Hyikl4iinVwigHe42nfKifnntC8apl1+yPEUFhHNM79SF44DQ==";

    /// The errors of a release figment with `toml` under `[release]`.
    fn errors(toml: &str) -> Vec<String> {
        let figment = Figment::from(rocket::Config::release_default())
            .merge(Toml::string(&format!("[release]\n{toml}")).nested())
            .select("release");
        match SecurityConfig::from_figment(&figment) {
            Ok(_) => vec![],
            Err(e) => e.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_retired_key_alone_or_with_its_day_is_accepted() {
        let toml = format!(
            "secret_key = \"{CURRENT}\"\n[release.security]\nsecret_key_fallbacks = [\"{RETIRED}\", {{ key = \"{}\", \
             retired_at = \"2026-05-01\" }}]",
            "D8sFQ3lu8pgl8CK+yTA9XQiswLPVlP1VuujVu4+VfkUH7EdI5p9HE4O8oqYH2YcaietF2kBDgghXlH3Pkww4WQ=="
        );
        assert_eq!(errors(&toml), Vec::<String>::new());
        // TOML's bare date too.
        let bare = format!(
            "secret_key = \"{CURRENT}\"\n[release.security]\nsecret_key_fallbacks = [{{ key = \"{RETIRED}\", \
             retired_at = 2026-05-01 }}]"
        );
        let figment = Figment::from(rocket::Config::release_default())
            .merge(Toml::string(&format!("[release]\n{bare}")).nested())
            .select("release");
        let config = SecurityConfig::from_figment(&figment).unwrap();
        assert_eq!(config.secret_key_fallbacks[0].retired_at, chrono::NaiveDate::from_ymd_opt(2026, 5, 1));
    }

    #[test]
    fn the_current_key_a_published_key_a_short_key_and_a_repeated_key_are_each_named() {
        let published = "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=";
        let toml = format!(
            "secret_key = \"{CURRENT}\"\n[release.security]\nsecret_key_fallbacks = [\"{RETIRED}\", \"{CURRENT}\", \
             \"{published}\", \"c2hvcnQ=\", \"{RETIRED}\"]"
        );
        assert_eq!(
            errors(&toml),
            [
                "`security.secret_key_fallbacks[1]`: is the current `secret_key`: a fallback is a key that \
                 `secret_key` held before; remove this entry (to rotate, move the old key here and set a new \
                 `secret_key`, made with `openssl rand -base64 64 | tr -d '\\n'`)",
                "`security.secret_key_fallbacks[2]`: is a published value (the sample Rocket.toml's, or Rocket's \
                 documentation example): anyone can forge session stamps and CSRF tokens with it, so nothing sealed \
                 with it can be trusted; remove this entry",
                "`security.secret_key_fallbacks[3]`: must be at least 32 bytes, base64 or hex encoded: the key \
                 `secret_key` held before, as it was set there",
                "`security.secret_key_fallbacks[4]`: is the same key as `security.secret_key_fallbacks[0]`; list \
                 each retired key once",
            ]
        );
    }

    #[test]
    fn a_fallback_entry_of_the_wrong_shape_is_named_with_its_field() {
        let toml = format!(
            "secret_key = \"{CURRENT}\"\n[release.security]\nsecret_key_fallbacks = [{{ key = \"{RETIRED}\", \
             retired_at = \"May 1st\" }}, 5, {{ retired = \"2026-05-01\" }}]"
        );
        assert_eq!(
            errors(&toml),
            [
                "`security.secret_key_fallbacks[0].retired_at`: expected a day as \"YYYY-MM-DD\" (e.g. \
                 \"2026-05-01\"), found the string \"May 1st\"",
                "`security.secret_key_fallbacks[1]`: expected the retired key (a string) or a table { key = \
                 \"...\", retired_at = \"YYYY-MM-DD\" }, found the number 5",
                "`security.secret_key_fallbacks[2].key`: missing: the retired key, as `secret_key` held it",
                "`security.secret_key_fallbacks[2].retired`: unknown key; the keys of a fallback are: key, \
                 retired_at",
            ]
        );
    }

    #[test]
    fn fallbacks_without_a_current_key_fail_with_the_fix() {
        let toml = format!("[release.security]\nsecret_key_fallbacks = [\"{RETIRED}\"]");
        assert_eq!(
            errors(&toml),
            ["`security.secret_key_fallbacks`: fallbacks only open what an earlier key sealed; new values need the \
              current key, and `secret_key` is not set (or not a key): set it (`openssl rand -base64 64 | tr -d \
              '\\n'`), or remove the fallbacks"]
        );
    }

    /// The launch itself (not only `from_figment`) refuses, logging the entry.
    #[rocket::async_test]
    async fn a_launch_with_a_fallback_that_is_the_current_key_is_refused() {
        crate::common::capture::captured();
        let figment = Figment::from(rocket::Config::debug_default())
            .merge(("log_level", "off"))
            .merge(("secret_key", CURRENT))
            .merge(("security.secret_key_fallbacks", [CURRENT]));
        let launched = rocket::custom(figment).attach(Security::fairing()).ignite().await;
        let refused = launched.map(drop).map_err(|e| format!("{e:?}"));
        let e = refused.expect_err("a fallback equal to the current key must not launch");
        assert!(e.starts_with("FailedFairings([Info { name: \"rocket_security\""), "{e}");
        let log = String::from_utf8(crate::common::capture::captured().0.lock().unwrap().clone()).unwrap();
        let line = " ERROR security: invalid configuration: `security.secret_key_fallbacks[0]`: is the current \
                    `secret_key`: a fallback is a key that `secret_key` held before; remove this entry (to rotate, \
                    move the old key here and set a new `secret_key`, made with `openssl rand -base64 64 | tr -d \
                    '\\n'`)";
        assert_eq!(log.lines().filter(|l| l.ends_with(line)).count(), 1, "{log}");
    }
}
