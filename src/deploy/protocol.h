// The parent ↔ worker protocol: the parent writes one JSON batch to a
// worker's stdin; the worker writes one JSON message per line to stdout.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "deploy/plan.h"

namespace deploy {

struct WorkerConfig {
  std::string connect;           // libvirt URI
  std::string guestfs_backend;   // empty: from the environment
  std::string guestfs_settings;  // empty: from the environment
  // WORLDS_FAILPOINT (core/failpoint.h) for a worker over SSH, which gets
  // none of the deploy's environment; empty: none (always, outside tests).
  std::string failpoint;
};

// The version of this protocol. A worker refuses a batch of another
// version (a lab host with another worlds installed, issue 14), saying
// both; raise it with any change a worker of the previous version would
// misread.
inline constexpr int kWorkerProtocolVersion = 1;

// A worker's share of a plan: whole Worlds, so that no two workers ever
// define the same World's networks.
struct Batch {
  int version = kWorkerProtocolVersion;
  WorkerConfig config;
  std::vector<WorldPlan> worlds;
};

// An inspection result as JSON (the store keeps it by the base's sha256),
// and back; fields a later version adds take their defaults.
std::string EncodeOsInfo(const guest::OsInfo& os);
// Throws core::Error on malformed input.
guest::OsInfo DecodeOsInfo(const std::string& text);

std::string EncodeBatch(const Batch& batch);
// Throws core::Error on malformed input and on a batch of another protocol
// version (or none: a worlds from before versions), naming both versions.
Batch DecodeBatch(const std::string& text);

// What a worker reports. `kind`:
//   "phase"  domain reached `phase` (overlay|customized|defined|ready)
//   "error"  domain failed in `phase` with `message`
//   "launch" an appliance launched with `count` drives in `seconds`
//   "timing" `phase` took `seconds` of wall time in this worker
//   "usage"  the worker's peak RSS was `count` KiB (its last message)
//   "identity" domain got the machine-id and host keys in `message`
//            and NIC names in `message` (deploy::PublicIdentityJson;
//            never the private keys)
//   "fatal"  the batch stopped: `message`
struct Message {
  std::string kind;
  std::string domain;
  std::string phase;
  std::string message;
  double seconds = 0;
  int count = 0;
};

std::string EncodeMessage(const Message& message);  // one line, no '\n'
// Throws core::Error on a line that is not a message.
Message DecodeMessage(const std::string& line);

}  // namespace deploy
