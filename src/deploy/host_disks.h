// A lab host's disks from the deploying machine (issue 14): the overlays of
// a World live on its host, so a re-run's reconcile, a destroy and status
// ask that host about them. `worlds __disks` runs there over SSH (the same
// binary, started as an argv like a worker) and answers deploy::Disks
// calls, one JSON line each way, with the host's own qemu-img; a base
// image is sent with `worlds __receive`, which verifies its sha256 before
// the file takes its name.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "deploy/env.h"

namespace deploy {

// Carries one request line to a Disks server and returns its answer line;
// throws core::Error when the server is gone.
using DisksTransport = std::function<std::string(const std::string& request)>;

// Disks whose every call is a request over `transport`; errors the server
// reports are rethrown as core::Error with their where and fix. `host`
// names the host in transport errors. Thread-safe when the transport is.
std::unique_ptr<Disks> NewDisksClient(DisksTransport transport, std::string host);

// The server's side of one request: the call on `disks`, answered as a
// line. Never throws: a failing call is an error answer.
std::string AnswerDisksRequest(Disks& disks, const std::string& request);

// Disks on the lab host of `uri`: `<ssh> host <remote_exe> __disks`
// (hosts::SshArgv), one connection kept for all calls, its stderr in
// `log_path` ("" : ours). Throws core::InputError when `uri` cannot be
// reached over SSH; a connection that fails later fails each call with a
// core::Error naming the host.
std::unique_ptr<Disks> NewSshDisks(const std::string& uri, const std::string& remote_exe,
                                   const std::string& log_path);

// `worlds __disks`: serves requests on stdin with qemu-img's Disks until
// end of input. Returns an exit code.
int DisksServerMain();

// Copies the local file `local_path` to `remote_path` on the host of `uri`
// through `<ssh> host <remote_exe> __receive <remote_path> <sha256> [writable]`.
// Throws core::Error when it cannot, naming the host and what it said.
void SendFile(const std::string& uri, const std::string& remote_exe,
              const std::string& local_path, const std::string& remote_path,
              const std::string& sha256, bool writable);

// Copies `remote_path` on the host of `uri` to the local file `local_path`
// (replaced) through `<ssh> host <remote_exe> __send <remote_path>`. Checks
// nothing of its content: the caller compares checksums. Throws
// core::Error when it cannot.
void FetchFile(const std::string& uri, const std::string& remote_exe,
               const std::string& remote_path, const std::string& local_path);

// `worlds __receive PATH SHA256 [writable]`: writes stdin to a temporary file
// beside PATH, checks its sha256, makes it read-only (a base image) unless
// `writable` (an overlay), and gives it the name PATH. An existing PATH is
// never replaced. Returns an exit code; says why on stderr.
int ReceiveFileMain(const std::string& path, const std::string& sha256, bool writable);

// `worlds __send PATH`: the file on stdout. Returns an exit code.
int SendFileMain(const std::string& path);

}  // namespace deploy
