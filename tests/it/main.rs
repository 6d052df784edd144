//! Integration tests: the real `edgectl` binary and the real AWS SDK against moto servers
//! the tests start themselves (one per test, on a free loopback port).

mod acceptance;
mod access;
mod account_size;
mod adopt;
mod adopt_edgemind;
mod alarms;
mod bad_input;
mod certificates;
mod cli;
mod dashboards;
mod databases;
mod discovery;
mod dns;
mod file_systems;

mod firewalls;
mod github;
mod harness;
mod install;
mod keys;
mod lock;
mod lookalike;
mod manifests;
mod network;
mod policy;
mod proxy;
mod references;
mod rollouts;
mod saved_plan;
mod schema;
mod secrets;
mod sensitive;
mod service;
mod service_details;
mod settling;
mod static_site;
mod status;
mod stress;
mod topics;
mod warnings;
