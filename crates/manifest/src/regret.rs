//! Settings that validate and deploy, and that people regret: the checks several kinds
//! share (a value whose name says it is a secret, written where every plan prints it).
//! Each is a warning at its place (`Decoder::warn`), an error under `--strict`.

use super::decode::Decoder;
use super::diag::Pos;
use super::yaml::{Node, NodeKind};

/// Whether a name (an environment variable, a header) says its value is a secret:
/// `DB_PASSWORD`, `API_TOKEN`, `STRIPE_SECRET_KEY`, `X-Origin-Secret`, `Authorization`,
/// `dbPassword`, `API_KEYS`, `SECRET_KEY_BASE`, `PRIVATE_KEY_PEM`. A key that is public
/// (`PUBLIC_KEY`, `NEXT_PUBLIC_API_KEY`, `STRIPE_PUBLISHABLE_KEY`, `RECAPTCHA_SITE_KEY`),
/// a key's id or name, or a key of something that is no credential (`PARTITION_KEY`,
/// `KMS_KEY`, `ROUTING_KEY`) is not one.
pub fn secret_name(name: &str) -> bool {
    // Words, upper case: `dbPassword` and `X-Api-Key` as `DB_PASSWORD` and `X_API_KEY`.
    let mut spaced = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            spaced.push('_');
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        spaced.push(if c == '-' {
            '_'
        } else {
            c.to_ascii_uppercase()
        });
    }
    let words: Vec<&str> = spaced.split('_').filter(|word| !word.is_empty()).collect();
    if words
        .iter()
        .any(|word| matches!(*word, "PUBLIC" | "PUBLISHABLE" | "SITE"))
    {
        return false;
    }
    // `SECRET_KEY_BASE` (Rails), `PRIVATE_KEY_PEM`: the secret is the words before.
    let words = match words.as_slice() {
        [rest @ .., "KEY", "BASE" | "PEM"] => rest.iter().copied().chain(["KEY"]).collect(),
        _ => words,
    };
    let Some(last) = words.last() else {
        return false;
    };
    let before = words.len().checked_sub(2).map(|index| words[index]);
    match last
        .strip_suffix('S')
        .filter(|_| *last != "PASS")
        .unwrap_or(last)
    {
        "PASSWORD" | "PASSWD" | "PASSPHRASE" | "SECRET" | "TOKEN" | "APIKEY" | "CREDENTIAL"
        | "AUTHORIZATION" => true,
        "KEY" => !matches!(
            before,
            Some(
                "PARTITION"
                    | "SORT"
                    | "HASH"
                    | "RANGE"
                    | "CACHE"
                    | "PRIMARY"
                    | "FOREIGN"
                    | "S3"
                    | "OBJECT"
                    | "BUCKET"
                    | "IDEMPOTENCY"
                    | "KMS"
                    | "ROUTING"
                    | "DEDUPLICATION"
                    | "GROUP"
                    | "REDIS"
                    | "LOCK"
            )
        ),
        _ => false,
    }
}

/// Warns when `name` says its value is a secret and `value` is written in the manifest
/// or read from a variable not marked `sensitive`: it is then printed in every plan and
/// stored in clear where AWS keeps it. `what` names the value (`environment variable`,
/// `header`), `fix` the safer way to pass it.
pub fn clear_secret(
    decoder: &mut Decoder,
    name: &str,
    pos: Pos,
    value: &Node,
    what: &str,
    fix: &str,
) {
    if !secret_name(name) {
        return;
    }
    let NodeKind::Scalar { text, .. } = &value.kind else {
        return;
    };
    let clear: Vec<String> = value
        .clear_variables
        .iter()
        .map(|variable| format!("`{variable}`"))
        .collect();
    let how = match clear.as_slice() {
        [variable] => format!("from variable {variable}, which is not marked `sensitive`"),
        [_, ..] => format!(
            "from variables {}, not marked `sensitive`",
            clear.join(", ")
        ),
        // A value from sensitive variables only, or a live attribute's, is no concern.
        [] if value.interpolated || text.is_empty() || super::marks::has_references(text) => {
            return;
        }
        [] if value.unresolved => return,
        [] => "written in the manifest".to_string(),
    };
    let variable_fix = match clear.as_slice() {
        [] => String::new(),
        [variable] => format!(", or mark {variable} as `sensitive: true`"),
        _ => format!(", or mark {} as `sensitive: true`", clear.join(", ")),
    };
    decoder.warn(
        pos,
        format!(
            "{what} `{name}` looks like a secret, and its value is {how}: every plan prints it, and AWS stores it in clear"
        ),
        format!("{fix}{variable_fix}"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_told_from_other_keys() {
        for name in [
            "DB_PASSWORD",
            "PASSWORD",
            "api_token",
            "STRIPE_SECRET_KEY",
            "API_KEY",
            "X-Origin-Secret",
            "X-Api-Key",
            "Authorization",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "dbPassword",
            "authToken",
            "API_KEYS",
            "SECRET_KEY_BASE",
            "PRIVATE_KEY_PEM",
            "DB_PASSWORDS",
        ] {
            assert!(secret_name(name), "{name}");
        }
        for name in [
            "DB_HOST",
            "PUBLIC_KEY",
            "AWS_ACCESS_KEY_ID",
            "PARTITION_KEY",
            "TOKEN_URL",
            "KEY_NAME",
            "PASSWORD_MIN_LENGTH",
            "X-Forwarded-For",
            "STRIPE_PUBLISHABLE_KEY",
            "RECAPTCHA_SITE_KEY",
            "NEXT_PUBLIC_API_KEY",
            "KMS_KEY",
            "HASH_KEY",
            "ROUTING_KEY",
            "BYPASS",
            "TOKENIZER_MODEL",
            "",
            "_",
        ] {
            assert!(!secret_name(name), "{name}");
        }
    }
}
