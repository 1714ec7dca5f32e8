//! AWS sources.
