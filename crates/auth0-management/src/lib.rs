//! auth0-management (under construction in this session).
