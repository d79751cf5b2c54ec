//! auth0-authentication (under construction in this session).
