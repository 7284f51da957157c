//! Pre-push: the lines git passes on stdin, and the commits each pushed ref brings that
//! the remote does not have.

use std::collections::HashSet;

use git2::{Oid, Sort};

use crate::error::Error;

use super::*;

/// One line of pre-push input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUpdate {
    pub local_ref: String,
    pub local_sha: String,
    pub remote_ref: String,
    pub remote_sha: String,
}

impl PushUpdate {
    /// The push deletes the remote ref.
    pub fn is_delete(&self) -> bool {
        is_zero_sha(&self.local_sha)
    }
    /// The push creates the remote ref.
    pub fn is_new(&self) -> bool {
        is_zero_sha(&self.remote_sha)
    }
}

/// Parses pre-push stdin: `<local ref> <local sha> <remote ref> <remote sha>` per line.
/// Strict: exactly 4 fields per non-empty line and full hex shas; errors name the line.
pub fn parse_pre_push(stdin: &str) -> Result<Vec<PushUpdate>, Error> {
    let mut out = Vec::new();
    for (i, line) in stdin.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() != 4 {
            return Err(Error::input(
                "pre-push stdin",
                line_no,
                format!(
                    "expected `<local ref> <local sha> <remote ref> <remote sha>`, got {} field(s): `{}`",
                    fields.len(),
                    line.trim()
                ),
            ));
        }
        for (what, sha) in [("local", fields[1]), ("remote", fields[3])] {
            if !is_hex_sha(sha) {
                return Err(Error::input(
                    "pre-push stdin",
                    line_no,
                    format!("{what} sha `{sha}` is not a full 40- or 64-digit hex object id"),
                ));
            }
        }
        out.push(PushUpdate {
            local_ref: fields[0].to_string(),
            local_sha: fields[1].to_ascii_lowercase(),
            remote_ref: fields[2].to_string(),
            remote_sha: fields[3].to_ascii_lowercase(),
        });
    }
    Ok(out)
}

impl Repo {
    /// Commits a push would publish, oldest first, deduplicated, from the pre-push hook's
    /// stdin. Deletions check nothing. Everything reachable from a pushed local sha is
    /// checked unless it is reachable from a remote-tracking ref of `remote`
    /// (`refs/remotes/<remote>/*`) or from a pushed-over remote sha that exists locally.
    pub fn pre_push(&self, remote: &str, stdin: &str) -> Result<Vec<String>, Error> {
        let updates = parse_pre_push(stdin)?;
        let mut walk = self
            .repo
            .revwalk()
            .map_err(|e| gerr("cannot walk history", e))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
            .map_err(|e| gerr("cannot walk history", e))?;
        let mut pushed = 0;
        for u in &updates {
            if u.is_delete() {
                continue;
            }
            let oid = Oid::from_str(&u.local_sha)
                .map_err(|e| gerr(format!("pre-push: bad sha {}", u.local_sha), e))?;
            let obj = self.repo.find_object(oid, None).map_err(|e| {
                gerr(
                    format!(
                        "pre-push: {} ({}) is not in the local repository",
                        u.local_sha, u.local_ref
                    ),
                    e,
                )
            })?;
            // An annotated tag is checked through the commit it points at; a tag of a
            // tree or blob carries no commits.
            let Ok(commit) = obj.peel_to_commit() else {
                continue;
            };
            walk.push(commit.id())
                .map_err(|e| gerr(format!("cannot walk from {}", u.local_sha), e))?;
            pushed += 1;
        }
        if pushed == 0 {
            return Ok(Vec::new());
        }
        for u in &updates {
            if u.is_new() {
                continue;
            }
            if let Ok(oid) = Oid::from_str(&u.remote_sha) {
                // A force-push over an object we never fetched: nothing to hide.
                if let Ok(c) = self
                    .repo
                    .find_object(oid, None)
                    .and_then(|o| o.peel_to_commit())
                {
                    walk.hide(c.id())
                        .map_err(|e| gerr(format!("cannot hide {}", u.remote_sha), e))?;
                }
            }
        }
        let prefix = format!("refs/remotes/{remote}/");
        let refs = self
            .repo
            .references()
            .map_err(|e| gerr("cannot list references", e))?;
        for r in refs.flatten() {
            let Some(name) = r.name() else { continue };
            if !name.starts_with(&prefix) {
                continue;
            }
            if let Ok(c) = r.peel_to_commit() {
                walk.hide(c.id())
                    .map_err(|e| gerr(format!("cannot hide {name}"), e))?;
            }
        }
        let mut seen = HashSet::new();
        let out = self.collect_walk(walk, "the pushed commits")?;
        Ok(out.into_iter().filter(|s| seen.insert(s.clone())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_push_parse_strict() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let ok = format!("refs/heads/x {a} refs/heads/x {z}\n\n");
        let v = parse_pre_push(&ok).unwrap();
        assert_eq!(v.len(), 1);
        assert!(v[0].is_new() && !v[0].is_delete());
        let bad = format!("refs/heads/x {a} refs/heads/x {z}\nrefs/heads/y {a} refs/heads/y\n");
        let e = parse_pre_push(&bad).unwrap_err().to_string();
        assert!(e.contains(":2:"), "{e}");
        let bad = format!("refs/heads/x {a} refs/heads/x abc\n");
        let e = parse_pre_push(&bad).unwrap_err().to_string();
        assert!(e.contains(":1:") && e.contains("abc"), "{e}");
    }
}
