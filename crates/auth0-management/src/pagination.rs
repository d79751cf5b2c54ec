//! Pages of results and a pager that walks them.
//!
//! The Management API pages lists two ways:
//!
//! * **offset**: `page` (from 0), `per_page` and `include_totals=true`;
//!   the answer is `{ "start", "limit", "length", "total", "<items>": [...] }`
//!   (or a bare array without `include_totals`);
//! * **checkpoint**: `from` (a cursor) and `take`; the answer is
//!   `{ "next": "<cursor>", "<items>": [...] }`, without `next` on the last
//!   page. Tenant logs page by checkpoint too, but answer a bare array:
//!   the next `from` is in the `Link: <…>; rel="next"` header, else the last
//!   log's `log_id`, and an empty array is the end
//!   ([`Pager::checkpoint_by_item`]).
//!
//! [`Page`] holds one page of either kind; [`Pager`] requests page after
//! page with [`Pager::next_page`], or gathers everything with
//! [`Pager::collect_all`] under a hard item cap.
//!
//! Offset paging reaches only the first [`RESULT_WINDOW`] results (Auth0
//! answers 400 to a page ending past them); the pager stops there with
//! [`Error::ResultWindow`], which names the way to read the rest. It also
//! stops that way after a page that reaches the window when the reported
//! `total` is at the window: Auth0 caps a user search's `total` at 1,000,
//! so such a walk cannot know it has read everything (a list of exactly
//! 1,000 results ends with that error too). A server
//! that repeats a page (offset) or a cursor (checkpoint) ends the walk with
//! [`Error::PaginationLoop`] instead of looping.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use auth0_core::secrets::{Secrets, scrub_decoder_message};
use bytes::Bytes;
use serde::de::{
    Deserialize, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess,
    Visitor,
};

use crate::client::{ManagementClient, ManagementService};
use crate::error::Error;
use crate::request::ApiRequest;

/// Default cap of [`Pager::collect_all`] used by the `all()` helpers.
pub const DEFAULT_MAX_ITEMS: usize = 10_000;

/// How many results offset paging (`page`/`per_page`) reaches: Auth0
/// returns at most the first 1,000 results of a list or search that way
/// and answers 400 to a page ending past them (Auth0 docs, "Search
/// results are limited to 1,000 users" in *User Search Best Practices*,
/// and the Management API's `page` limits).
pub const RESULT_WINDOW: u64 = 1_000;

/// True when page `page` of `per_page` would end past [`RESULT_WINDOW`]:
/// Auth0 refuses it with a 400 whatever the list's size (its rule is
/// `page * per_page + per_page > 1000`), so with a `per_page` that does
/// not divide 1,000 the last whole page inside the window is the end.
fn crosses_window(page: u32, per_page: u32) -> bool {
    (u64::from(page) + 1) * u64::from(per_page) > RESULT_WINDOW
}

/// The way around [`RESULT_WINDOW`] for a list, by its path.
fn window_alternative(path: &str) -> &'static str {
    match path {
        "/users" => {
            "export all users with a users-export job (`auth0.jobs().users_exports().create(…)`, `POST /api/v2/jobs/users-exports`) or narrow the search `q`"
        }
        "/logs" => {
            "read logs with checkpoint paging (`auth0.logs_checkpoint_pager(…)`, `from`/`take` on `GET /api/v2/logs`) or a log stream"
        }
        // `q` is ignored once `from` is sent, so a user's logs past the
        // window come from the whole checkpoint walk, filtered by user.
        p if p.starts_with("/users/") && p.ends_with("/logs") => {
            "read all logs with checkpoint paging (`auth0.logs_checkpoint_pager(…)`; Auth0 ignores `q` with `from`, so filter by `user_id` yourself) or a log stream"
        }
        _ => {
            "use the list's checkpoint pager (`from`/`take`) where it has one, or narrow the query"
        }
    }
}

/// One page of a list.
///
/// Counts are `u64` (the query's `page`/`per_page`/`take` are `u32`).
///
/// ```
/// use auth0_management::pagination::Page;
///
/// let page: Page<serde_json::Value> =
///     Page::from_slice(br#"{ "start": 0, "limit": 2, "total": 3, "users": [{}, {}] }"#, "users")?;
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

impl<T: DeserializeOwned> Page<T> {
    /// Decodes a page straight from a response body: a bare array, or an
    /// object with the items under `items_key` (absent or `null`: none)
    /// plus the paging fields. Counts are read leniently (Auth0 documents
    /// them as numbers and its fixtures send `1.1`): fractions are
    /// truncated, negatives and non-numbers read as absent; an empty `next`
    /// means the last page.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPage`] when the body is not such a page or an item
    /// does not decode into `T`. Its reason never quotes a value the body
    /// holds under a secret-like name.
    pub fn from_slice(body: &[u8], items_key: &str) -> Result<Self, Error> {
        decode_page(body, items_key).map_err(|e| invalid_page(None, body, items_key, &e))
    }
}

/// [`Error::InvalidPage`] for a `body` that did not decode: serde's message
/// (which quotes the value it choked on) scrubbed of the request's `secrets`
/// and of every secret-named value in the body.
fn invalid_page(
    secrets: Option<&Secrets>,
    body: &[u8],
    items_key: &str,
    error: &serde_json::Error,
) -> Error {
    let message = scrub_decoder_message(secrets, body, &error.to_string());
    Error::InvalidPage {
        reason: format!("expected an array or an object with `{items_key}`: {message}"),
    }
}

/// [`Page::from_slice`] with serde's error (for callers that report it as
/// a decode failure of the response).
pub(crate) fn decode_page<T: DeserializeOwned>(
    body: &[u8],
    items_key: &str,
) -> Result<Page<T>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let page = PageSeed::<T> {
        items_key,
        _items: PhantomData,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(page)
}

/// The `from` parameter of the `rel="next"` link of a `Link` header
/// (RFC 8288), when it is plain (unreserved characters only: Auth0's log
/// ids are digits); anything else is left to the last item's id.
fn next_from_link(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|link| {
            let (target, params) = link.trim().strip_prefix('<')?.split_once('>')?;
            let is_next = params.split(';').any(|p| {
                let p = p.trim();
                p == "rel=next" || p == "rel=\"next\""
            });
            if !is_next {
                return None;
            }
            let (_, query) = target.split_once('?')?;
            let from = query
                .split('&')
                .find_map(|pair| pair.strip_prefix("from="))?;
            let plain = !from.is_empty()
                && from
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
            plain.then(|| from.to_owned())
        })
}

/// `field` of the last element of a bare-array page, as text: the
/// fallback cursor when an answer has no `Link` header (Auth0 sends one), so
/// this rare path may read the body a second time, as a tree.
fn last_item_field(body: &[u8], field: &str) -> Option<String> {
    use serde_json::Value;
    let items: Vec<serde_json::Map<String, Value>> = serde_json::from_slice(body).ok()?;
    match items.last()?.get(field)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Decodes a [`Page`] in one pass over the body (no JSON tree).
struct PageSeed<'k, T> {
    items_key: &'k str,
    _items: PhantomData<fn() -> T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for PageSeed<'_, T> {
    type Value = Page<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Page<T>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for PageSeed<'_, T> {
    type Value = Page<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array or an object with `{}`", self.items_key)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Page<T>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<T>()? {
            items.push(item);
        }
        Ok(Page {
            items,
            start: None,
            limit: None,
            total: None,
            next: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page<T>, A::Error> {
        let mut page = Page {
            items: Vec::new(),
            start: None,
            limit: None,
            total: None,
            next: None,
        };
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                k if k == self.items_key => {
                    page.items = map.next_value::<Option<Vec<T>>>()?.unwrap_or_default();
                }
                "start" => page.start = map.next_value::<Count>()?.0,
                "limit" => page.limit = map.next_value::<Count>()?.0,
                "total" => page.total = map.next_value::<Count>()?.0,
                "next" => {
                    page.next = map.next_value::<NextCursor>()?.0;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(page)
    }
}

/// A paging count read leniently (see [`Page::from_slice`]).
struct Count(Option<u64>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CountVisitor).map(Count)
    }
}

struct CountVisitor;

impl<'de> Visitor<'de> for CountVisitor {
    type Value = Option<u64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_u64<E>(self, v: u64) -> Result<Option<u64>, E> {
        Ok(Some(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Option<u64>, E> {
        Ok(u64::try_from(v).ok())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Option<u64>, E> {
        // Below 1.8e19 every truncated value fits in a u64.
        Ok((0.0..1.8e19).contains(&v).then(|| v.trunc() as u64))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<u64>, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<u64>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<u64>, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<u64>, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<u64>, A::Error> {
        IgnoredAny.visit_map(map).map(|_| None)
    }
}

/// A `next` cursor: a non-empty string, anything else reads as absent.
struct NextCursor(Option<String>);

impl<'de> Deserialize<'de> for NextCursor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<String>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Option<String>, E> {
                Ok((!v.is_empty()).then(|| v.to_owned()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Option<String>, E> {
                Ok(None)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Option<String>, E> {
                Ok(None)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Option<String>, E> {
                Ok(None)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Option<String>, E> {
                Ok(None)
            }
            fn visit_unit<E>(self) -> Result<Option<String>, E> {
                Ok(None)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<String>, A::Error> {
                IgnoredAny.visit_seq(seq).map(|_| None)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<String>, A::Error> {
                IgnoredAny.visit_map(map).map(|_| None)
            }
        }
        deserializer.deserialize_any(V).map(NextCursor)
    }
}

#[derive(Clone)]
enum Position {
    Offset {
        page: u32,
        per_page: u32,
        /// The body of the previous page (when it had items), to notice a
        /// repeated page. `Bytes` share the response buffer: no copy.
        previous: Option<Bytes>,
    },
    Checkpoint {
        from: Option<String>,
        take: u32,
        used: HashSet<String>,
        /// Where the next cursor comes from.
        cursor: Cursor,
    },
}

/// Where a checkpoint pager finds the next `from`.
#[derive(Clone, Copy, Debug)]
enum Cursor {
    /// The page object's `next` field.
    NextField,
    /// The `from` of the `Link: <…>; rel="next"` header, else this field of
    /// the page's last item (the tenant logs' `log_id`).
    LinkOrLastItem(&'static str),
}

// By hand: the previous page's items (user data) stay out of `Debug`.
impl fmt::Debug for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Offset { page, per_page, .. } => f
                .debug_struct("Offset")
                .field("page", page)
                .field("per_page", per_page)
                .finish_non_exhaustive(),
            Position::Checkpoint {
                from, take, used, ..
            } => f
                .debug_struct("Checkpoint")
                .field("from", from)
                .field("take", take)
                .field("used", &used.len())
                .finish_non_exhaustive(),
        }
    }
}

/// Walks the pages of one list operation.
///
/// `next_page` returns `None` once the list is exhausted. An error does not
/// move the pager: calling `next_page` again retries the same page.
///
/// ```no_run
/// use auth0_management::api::UsersListParams;
/// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {
/// let mut pager = auth0.users().list_pager(UsersListParams::new().q("email.domain:\"example.com\""));
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
        first_page: u32,
        per_page: u32,
    ) -> Self {
        Self::new(
            client,
            request,
            items_key,
            Position::Offset {
                page: first_page,
                per_page: per_page.clamp(1, 100),
                previous: None,
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
                cursor: Cursor::NextField,
            },
        )
    }

    /// A pager over checkpoint pages whose answer is a bare array, as the
    /// tenant logs answer `GET /api/v2/logs?from=…&take=…`: the next `from`
    /// is taken from the `Link: <…>; rel="next"` header Auth0 sends (its
    /// `from` value only; the URL itself is never followed, so the token
    /// never goes to another host), else from `id_field` of the page's
    /// last item. An empty page ends the walk (Auth0 answers `[]` with the
    /// same `next` link once there is nothing newer). `take` is clamped to
    /// 1..=100. [`Pager::cursor`] is where a later walk resumes.
    pub fn checkpoint_by_item(
        client: ManagementClient<S>,
        request: ApiRequest,
        from: Option<String>,
        take: u32,
        id_field: &'static str,
    ) -> Self {
        Self::new(
            client,
            request,
            "",
            Position::Checkpoint {
                from,
                take: take.clamp(1, 100),
                used: HashSet::new(),
                cursor: Cursor::LinkOrLastItem(id_field),
            },
        )
    }

    /// The `from` cursor the next request of a checkpoint walk sends (after
    /// the last page: where a later walk should resume); `None` for offset
    /// paging or before the first page of a walk started at the beginning.
    pub fn cursor(&self) -> Option<&str> {
        match &self.position {
            Position::Checkpoint { from, .. } => from.as_deref(),
            Position::Offset { .. } => None,
        }
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
        if let Position::Offset { page, per_page, .. } = &self.position {
            // Auth0 answers 400 to a page that would end past the window:
            // stop before sending it, naming the way to read the rest.
            if crosses_window(*page, *per_page) {
                self.done = true;
                return Some(Err(Error::ResultWindow {
                    limit: RESULT_WINDOW,
                    alternative: window_alternative(self.request.path.as_str()),
                }));
            }
        }
        let mut request = self.request.clone();
        let query = request.query_mut();
        match &self.position {
            Position::Offset { page, per_page, .. } => {
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
        let response = match self.client.execute_raw(request).await {
            Ok(response) => response,
            Err(e) => return Some(Err(e)),
        };
        let mut page = match decode_page::<T>(response.body(), self.items_key) {
            Ok(page) => page,
            Err(e) => {
                let secrets = response.extensions().get::<Secrets>();
                return Some(Err(invalid_page(
                    secrets,
                    response.body(),
                    self.items_key,
                    &e,
                )));
            }
        };
        // For item-cursor checkpoints, the next `from` is read before the
        // items are decoded into `T`.
        let item_cursor = match &self.position {
            Position::Checkpoint {
                cursor: Cursor::LinkOrLastItem(field),
                ..
            } => Some(
                next_from_link(response.headers())
                    .or_else(|| last_item_field(response.body(), field)),
            ),
            _ => None,
        };
        // A server that ignores `page` answers every request with the same
        // items: that is a loop, not more data.
        if let Position::Offset { previous, .. } = &mut self.position {
            let body = response.into_body();
            let same = !page.items.is_empty() && previous.as_ref() == Some(&body);
            *previous = (!page.items.is_empty()).then_some(body);
            if same {
                self.done = true;
                return Some(Err(Error::PaginationLoop));
            }
        }
        if let Some(next) = item_cursor {
            page.next = next.filter(|_| !page.items.is_empty());
            if page.items.is_empty() {
                // Nothing newer: the end, and `from` stays the resume point.
                self.done = true;
                return Some(Ok(page));
            }
            if page.next.is_none() {
                self.done = true;
                return Some(Err(Error::InvalidPage {
                    reason: "a checkpoint page has neither a `Link: rel=\"next\"` header nor an id on its last item".to_owned(),
                }));
            }
        }
        self.advance(&page);
        Some(Ok(page))
    }

    fn advance(&mut self, page: &Page<T>) {
        match &mut self.position {
            Position::Offset {
                page: index,
                per_page,
                ..
            } => {
                let size = u64::from(*per_page);
                let start = page.start.unwrap_or(u64::from(*index) * size);
                let end = start.saturating_add(page.items.len() as u64);
                let short = (page.items.len() as u64) < size;
                // A total at the window may be Auth0's cap (a user search
                // reports at most 1,000), not the list's size: reaching it
                // is not the end, and the next call says why it stops.
                let complete = page.total.is_some_and(|t| end >= t && t < RESULT_WINDOW);
                if page.items.is_empty() || short || complete {
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

    /// The remaining pages as a [`Stream`](futures_util::Stream). It ends
    /// after the last page, or after the first error (which it yields).
    ///
    /// ```no_run
    /// use auth0_management::api::RolesListParams;
    /// use futures_util::TryStreamExt;
    /// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {
    /// let pages = auth0.roles().list_pager(RolesListParams::new().per_page(100)).into_pages();
    /// let sizes: Vec<usize> = pages.map_ok(|page| page.items.len()).try_collect().await?;
    /// # let _ = sizes;
    /// # Ok(()) }
    /// ```
    pub fn into_pages(self) -> impl futures_util::Stream<Item = Result<Page<T>, Error>> {
        futures_util::stream::unfold(Some(self), |pager| async move {
            let mut pager = pager?;
            match pager.next_page().await? {
                Ok(page) => Some((Ok(page), Some(pager))),
                // `next_page` would retry the failed page; a stream stops.
                Err(e) => Some((Err(e), None)),
            }
        })
    }

    /// The remaining items, page after page, as a
    /// [`Stream`](futures_util::Stream); it ends after the last item or the
    /// first error (which it yields).
    ///
    /// ```no_run
    /// use auth0_management::api::RolesListParams;
    /// use futures_util::TryStreamExt;
    /// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {
    /// let mut roles = std::pin::pin!(auth0.roles().list_pager(RolesListParams::new()).into_stream());
    /// while let Some(role) = roles.try_next().await? {
    ///     println!("{:?}", role.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn into_stream(self) -> impl futures_util::Stream<Item = Result<T, Error>> {
        use futures_util::StreamExt as _;
        self.into_pages().flat_map(|page| {
            let items: Vec<Result<T, Error>> = match page {
                Ok(page) => page.items.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures_util::stream::iter(items)
        })
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
    use serde_json::Value;

    #[test]
    fn link_header_from() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::LINK,
            http::HeaderValue::from_static(
                "<https://t.auth0.com/api/v2/logs?from=900123&take=100>; rel=\"next\"",
            ),
        );
        assert_eq!(next_from_link(&headers).as_deref(), Some("900123"));
        headers.insert(
            http::header::LINK,
            http::HeaderValue::from_static(
                "<https://t/api/v2/logs?take=5&from=a%2Fb>; rel=next, <https://t/x?from=9>; rel=\"prev\"",
            ),
        );
        // An escaped cursor is not guessed at: the last item's id is used.
        assert_eq!(next_from_link(&headers), None);
        headers.insert(
            http::header::LINK,
            http::HeaderValue::from_static("<https://t/x?from=9>; rel=\"prev\""),
        );
        assert_eq!(next_from_link(&headers), None);
        let items = br#"[{"log_id": "1"}, {"log_id": "2"}]"#;
        assert_eq!(last_item_field(items, "log_id").as_deref(), Some("2"));
        assert_eq!(last_item_field(b"[]", "log_id"), None);
    }

    #[test]
    fn lenient_counts() {
        let page: Page<Value> = Page::from_slice(
            br#"{"start": 1.1, "limit": -1, "total": "x", "length": 2, "users": null, "next": 5}"#,
            "users",
        )
        .unwrap();
        assert_eq!(page.start, Some(1));
        assert_eq!(page.limit, None);
        assert_eq!(page.total, None);
        assert_eq!(page.next, None);
        assert!(page.items.is_empty());
    }

    #[test]
    fn bare_array_and_bad_shapes() {
        let page: Page<u32> = Page::from_slice(b"[1, 2]", "x").unwrap();
        assert_eq!(page.items, vec![1, 2]);
        assert!(Page::<u32>::from_slice(br#""x""#, "x").is_err());
        assert!(Page::<u32>::from_slice(br#"{"x": ["a"]}"#, "x").is_err());
        assert!(Page::<u32>::from_slice(br#"{"x": 1}"#, "x").is_err());
        assert!(Page::<u32>::from_slice(b"[1] [2]", "x").is_err());
    }

    #[test]
    fn empty_next_is_last_page() {
        let page: Page<u32> = Page::from_slice(br#"{"next": "", "x": [1]}"#, "x").unwrap();
        assert_eq!(page.next, None);
        let page: Page<u32> = Page::from_slice(br#"{"next": "c2", "x": [1]}"#, "x").unwrap();
        assert_eq!(page.next.as_deref(), Some("c2"));
    }
}
