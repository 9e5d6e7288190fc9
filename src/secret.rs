//! The `Secret` type that holds API tokens and JWTs in memory.
//!
//! A `Secret` has no `Display`, its `Debug` prints a fixed mask, and its memory
//! is zeroed on drop. `expose()` is the only way to read the value, so
//! `grep -n 'expose()'` lists every place a secret leaves its wrapper.

use std::fmt;

use zeroize::Zeroizing;

/// A secret string: an API token or a JWT.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps `value`, trimming surrounding whitespace such as a trailing newline.
    pub fn new(value: impl Into<String>) -> Self {
        let mut value = value.into();
        let trimmed = value.trim();
        if trimmed.len() != value.len() {
            let owned = trimmed.to_owned();
            zeroize::Zeroize::zeroize(&mut value);
            value = owned;
        }
        Secret(Zeroizing::new(value))
    }

    /// Reads the value. Every caller is a place where the secret leaves its wrapper.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_value() {
        let secret = Secret::new("canary-5f2b9c0d");
        let shown = format!("{secret:?} {:#?}", Some(&secret));
        assert!(!shown.contains("canary"), "{shown}");
        assert!(!shown.contains("5f2b9c0d"), "{shown}");
    }

    #[test]
    fn new_trims_surrounding_whitespace() {
        assert_eq!(Secret::new("  abc\n").expose(), "abc");
    }
}
