//! The event vocabulary as enums: [`SourceName`] and [`Action`]. Their
//! variants are generated from the C header (`vocab.rs`, written by
//! `bindings/rust/generate.sh`) and their strings are the header's
//! `SW_EVENT_SOURCE_*` / `SW_ACTION_*` values through `shieldwatch-sys`, so a
//! new action in the header reaches Rust by regenerating.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use shieldwatch_sys as sys;

/// A bindgen string constant (`b"...\0"`) as `&str`.
fn c_name(bytes: &'static [u8]) -> &'static str {
    let bytes = bytes.strip_suffix(b"\0").unwrap_or(bytes);
    std::str::from_utf8(bytes).unwrap_or("")
}

macro_rules! names {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $c:ident,)* }) => {
        $(#[$meta])*
        ///
        /// Compares equal to its string (`action == "blocked_query"`), converts
        /// from any string (`From<&str>`, never failing) and back
        /// ([`as_str`](Self::as_str), `Display`).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A string this version of the crate has no variant for.
            Other(String),
        }

        impl $name {
            /// Every named variant, in the header's order.
            pub fn known() -> &'static [$name] {
                &[$($name::$variant),*]
            }

            /// The string the library uses.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => c_name(sys::$c),)*
                    $name::Other(s) => s,
                }
            }

            /// Whether this is one of the header's names (not `Other`).
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $(if s == c_name(sys::$c) {
                    return $name::$variant;
                })*
                $name::Other(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match $name::from(s.as_str()) {
                    $name::Other(_) => $name::Other(s),
                    known => known,
                }
            }
        }

        impl FromStr for $name {
            type Err = Infallible;
            fn from_str(s: &str) -> Result<Self, Infallible> {
                Ok($name::from(s))
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

include!("vocab.rs");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_other() {
        for a in Action::known() {
            assert_eq!(&Action::from(a.as_str()), a);
            assert!(a.is_known());
        }
        let custom = Action::from("custom_audit_action");
        assert_eq!(custom, Action::Other("custom_audit_action".into()));
        assert_eq!(custom.as_str(), "custom_audit_action");
        assert!(!custom.is_known());
        assert_eq!(Action::BlockedQuery, "blocked_query");
        assert_eq!(SourceName::from("nflog"), SourceName::Nflog);
        assert_eq!(SourceName::Watch.to_string(), "watch");
    }
}
