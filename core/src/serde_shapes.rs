//! The serde shapes of the public types that are not plain derives (feature `serde`): the
//! JavaScript API's shapes, so the same JSON configures and describes both.

use crate::prelude::*;
use core::fmt;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `Vec<(String, String)>` as a JSON object, members in order (`headers`, `extraParams`).
pub mod pairs {
    use super::*;

    /// Writes the pairs as an object.
    pub fn serialize<S: Serializer>(pairs: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(pairs.len()))?;
        for (k, v) in pairs {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }

    /// Reads an object of strings, members in order.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Vec<(String, String)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, String>()? {
                    out.push(entry);
                }
                Ok(out)
            }
        }
        d.deserialize_map(Pairs)
    }
}

/// `Option<(String, String)>` as `{ "title": …, "message": … }` (`humanFields`).
pub mod human_fields {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Fields {
        title: String,
        message: String,
    }

    /// Writes `{ title, message }`, or `null`.
    pub fn serialize<S: Serializer>(v: &Option<(String, String)>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(|(title, message)| Fields { title: title.clone(), message: message.clone() }).serialize(s)
    }

    /// Reads `{ title, message }` or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<(String, String)>, D::Error> {
        Ok(Option::<Fields>::deserialize(d)?.map(|f| (f.title, f.message)))
    }
}
