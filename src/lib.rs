//! warroom: a terminal incident cockpit.
//!
//! `model`, `source`, `analysis` and `app` never touch the terminal; `ui` draws `App` state
//! and does no I/O; `tui` owns the terminal and runs the event loop.

pub mod analysis;
pub mod app;
pub mod cli;
pub mod config;
pub mod contain;
pub mod dirs;
pub mod model;
pub mod redact;
pub mod report;
pub mod source;
pub mod tui;
pub mod ui;
