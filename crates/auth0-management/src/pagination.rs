//! Pages of results and a pager that walks them.
//!
//! The Management API pages lists two ways:
//!
//! * **offset**: `page` (from 0), `per_page` and `include_totals=true`;
//!   the answer is `{ "start", "limit", "length", "total", "<items>": [...] }`
//!   (or a bare array without `include_totals`);
//! * **checkpoint**: `from` (a cursor) and `take`; the answer is
//!   `{ "next": "<cursor>", "<items>": [...] }`, without `next` on the last
//!   page.
//!
//! [`Page`] holds one page of either kind; [`Pager`] requests page after
//! page with [`Pager::next_page`], or gathers everything with
//! [`Pager::collect_all`] under a hard item cap.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::{ManagementClient, ManagementService};
use crate::error::Error;
use crate::request::ApiRequest;

/// Default cap of [`Pager::collect_all`] used by the `all()` helpers.
pub const DEFAULT_MAX_ITEMS: usize = 10_000;

/// One page of a list.
///
/// ```
/// use auth0_management::pagination::Page;
///
/// let page: Page<serde_json::Value> = Page::from_json(
///     serde_json::json!({ "start": 0, "limit": 2, "total": 3, "users": [{}, {}] }),
///     "users",
/// )?;
/// assert_eq!((page.items.len(), page.total), (2, Some(3)));
/// # Ok::<(), auth0_management::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Index of the first item (offset paging with totals).
    pub start: Option<u64>,
    /// Page size the server applied (offset paging with totals).
    pub limit: Option<u64>,
    /// Items in the whole list (offset paging with totals).
    pub total: Option<u64>,
    /// Cursor of the next page (checkpoint paging); `None` on the last page.
    pub next: Option<String>,
}

/// Reads a count leniently: Auth0 documents these as numbers and some
/// fixtures send `1.1`; fractions are truncated, negatives and non-numbers
/// read as absent.
fn count(value: Option<&Value>) -> Option<u64> {
    let n = value?.as_number()?;
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1.8e19)
            .map(|f| f as u64)
    })
}

impl<T: DeserializeOwned> Page<T> {
    /// Decodes a page: a bare array, or an object with the items under
    /// `items_key` plus the paging fields.
    pub fn from_json(value: Value, items_key: &str) -> Result<Self, Error> {
        let decode = |items: Value| {
            serde_json::from_value::<Vec<T>>(items).map_err(|e| Error::InvalidPage {
                reason: format!("the items could not be decoded: {e}"),
            })
        };
        match value {
            Value::Array(_) => Ok(Page {
                items: decode(value)?,
                start: None,
                limit: None,
                total: None,
                next: None,
            }),
            Value::Object(mut map) => {
                let items = match map.remove(items_key) {
                    Some(Value::Null) | None => Vec::new(),
                    Some(items) => decode(items)?,
                };
                Ok(Page {
                    items,
                    start: count(map.get("start")),
                    limit: count(map.get("limit")),
                    total: count(map.get("total")),
                    next: map
                        .get("next")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                })
            }
            other => Err(Error::InvalidPage {
                reason: format!(
                    "expected an array or an object with `{items_key}`, got {}",
                    json_kind(&other)
                ),
            }),
        }
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[derive(Debug, Clone)]
enum Position {
    Offset {
        page: u64,
        per_page: u32,
    },
    Checkpoint {
        from: Option<String>,
        take: u32,
        used: HashSet<String>,
    },
}

/// Walks the pages of one list operation.
///
/// `next_page` returns `None` once the list is exhausted. An error does not
/// move the pager: calling `next_page` again retries the same page.
///
/// ```no_run
/// use auth0_management::resources::users::ListUsersParams;
/// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {
/// let mut pager = auth0.users().pager(ListUsersParams::new().q("email.domain:\"example.com\""));
/// while let Some(page) = pager.next_page().await {
///     for user in page?.items {
///         println!("{:?}", user.user_id);
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Pager<T, S = auth0_core::stack::DefaultService> {
    client: ManagementClient<S>,
    request: ApiRequest,
    items_key: &'static str,
    position: Position,
    done: bool,
    looped: bool,
    _items: PhantomData<fn() -> T>,
}

impl<T, S> fmt::Debug for Pager<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pager")
            .field("request", &self.request)
            .field("items_key", &self.items_key)
            .field("position", &self.position)
            .field("done", &self.done)
            .finish()
    }
}

impl<T: DeserializeOwned, S: ManagementService> Pager<T, S> {
    /// A pager over offset pages (`page`, `per_page`, `include_totals`),
    /// starting at `first_page`. `per_page` is clamped to 1..=100.
    pub fn offset(
        client: ManagementClient<S>,
        request: ApiRequest,
        items_key: &'static str,
        first_page: u64,
        per_page: u32,
    ) -> Self {
        Self::new(
            client,
            request,
            items_key,
            Position::Offset {
                page: first_page,
                per_page: per_page.clamp(1, 100),
            },
        )
    }

    /// A pager over checkpoint pages (`from`, `take`), starting at `from`
    /// (or the beginning). `take` is clamped to 1..=100.
    pub fn checkpoint(
        client: ManagementClient<S>,
        request: ApiRequest,
        items_key: &'static str,
        from: Option<String>,
        take: u32,
    ) -> Self {
        Self::new(
            client,
            request,
            items_key,
            Position::Checkpoint {
                from,
                take: take.clamp(1, 100),
                used: HashSet::new(),
            },
        )
    }

    fn new(
        client: ManagementClient<S>,
        request: ApiRequest,
        items_key: &'static str,
        position: Position,
    ) -> Self {
        Self {
            client,
            request,
            items_key,
            position,
            done: false,
            looped: false,
            _items: PhantomData,
        }
    }

    /// Fetches the next page, or `None` when there is none.
    pub async fn next_page(&mut self) -> Option<Result<Page<T>, Error>> {
        if self.looped {
            self.looped = false;
            self.done = true;
            return Some(Err(Error::PaginationLoop));
        }
        if self.done {
            return None;
        }
        let mut request = self.request.clone();
        let query = request.query_mut();
        match &self.position {
            Position::Offset { page, per_page } => {
                query
                    .remove("page")
                    .remove("per_page")
                    .remove("include_totals");
                query
                    .push("page", page)
                    .push("per_page", per_page)
                    .push("include_totals", true);
            }
            Position::Checkpoint { from, take, .. } => {
                query.remove("from").remove("take");
                query.push_opt("from", from.as_deref()).push("take", take);
            }
        }
        let page = match self.client.execute::<Value>(request).await {
            Ok(response) => match Page::<T>::from_json(response.data, self.items_key) {
                Ok(page) => page,
                Err(e) => return Some(Err(e)),
            },
            Err(e) => return Some(Err(e)),
        };
        self.advance(&page);
        Some(Ok(page))
    }

    fn advance(&mut self, page: &Page<T>) {
        match &mut self.position {
            Position::Offset {
                page: index,
                per_page,
            } => {
                let size = u64::from(*per_page);
                let start = page.start.unwrap_or(index.saturating_mul(size));
                let end = start.saturating_add(page.items.len() as u64);
                let short = (page.items.len() as u64) < size;
                if page.items.is_empty() || short || page.total.is_some_and(|t| end >= t) {
                    self.done = true;
                }
                *index = index.saturating_add(1);
            }
            Position::Checkpoint { from, used, .. } => match &page.next {
                Some(next) if !page.items.is_empty() => {
                    if let Some(previous) = from.take() {
                        used.insert(previous);
                    }
                    if used.contains(next) {
                        self.looped = true;
                    }
                    *from = Some(next.clone());
                }
                _ => self.done = true,
            },
        }
    }

    /// Fetches every remaining page and returns all items, failing with
    /// [`Error::TooManyItems`] rather than holding more than `max_items`.
    pub async fn collect_all(mut self, max_items: usize) -> Result<Vec<T>, Error> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await {
            all.extend(page?.items);
            if all.len() > max_items {
                return Err(Error::TooManyItems { cap: max_items });
            }
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_counts() {
        let page: Page<Value> = Page::from_json(
            serde_json::json!({"start": 1.1, "limit": -1, "total": "x", "users": null}),
            "users",
        )
        .unwrap();
        assert_eq!(page.start, Some(1));
        assert_eq!(page.limit, None);
        assert_eq!(page.total, None);
        assert!(page.items.is_empty());
    }

    #[test]
    fn bare_array_and_bad_shapes() {
        let page: Page<u32> = Page::from_json(serde_json::json!([1, 2]), "x").unwrap();
        assert_eq!(page.items, vec![1, 2]);
        assert!(Page::<u32>::from_json(serde_json::json!("x"), "x").is_err());
        assert!(Page::<u32>::from_json(serde_json::json!({"x": ["a"]}), "x").is_err());
    }

    #[test]
    fn empty_next_is_last_page() {
        let page: Page<u32> =
            Page::from_json(serde_json::json!({"next": "", "x": [1]}), "x").unwrap();
        assert_eq!(page.next, None);
    }
}
