#include "deploy/host_disks.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/temp_path.h"
#include "hosts/ssh_command.h"
#include "image/overlay.h"
#include "process/process.h"

namespace deploy {

namespace {

using nlohmann::json;

// The requests: {"op": ..., "path": ...} (+ "base", "format" for create;
// "snapshot", "out" for export_snapshot).
// The answers: {"ok": true, "value": ...} or {"ok": false, "error": ...,
// "where": ..., "fix": ...}.
class DisksClient : public Disks {
 public:
  DisksClient(DisksTransport transport, std::string host)
      : transport_(std::move(transport)), host_(std::move(host)) {}

  bool Exists(const std::string& path) override { return Call("exists", path).get<bool>(); }
  bool HasClean(const std::string& path) override { return Call("has_clean", path).get<bool>(); }
  std::optional<std::string> BackingFile(const std::string& path) override {
    json value = Call("backing_file", path);
    if (value.is_null()) return std::nullopt;
    return value.get<std::string>();
  }
  void CreateOverlay(const std::string& base, const std::string& base_format,
                     const std::string& overlay) override {
    Call("create_overlay", overlay, {{"base", base}, {"format", base_format}});
  }
  void Remove(const std::string& path) override { Call("remove", path); }
  uint64_t AllocatedBytes(const std::string& path) override {
    return Call("allocated_bytes", path).get<uint64_t>();
  }
  uint64_t VirtualBytes(const std::string& path) override {
    return Call("virtual_bytes", path).get<uint64_t>();
  }
  uint64_t FreeBytes(const std::string& path) override {
    return Call("free_bytes", path).get<uint64_t>();
  }
  std::string Checksum(const std::string& path) override {
    return Call("checksum", path).get<std::string>();
  }
  void ExportSnapshot(const std::string& path, const std::string& snapshot,
                      const std::string& out) override {
    Call("export_snapshot", path, {{"snapshot", snapshot}, {"out", out}});
  }

 private:
  json Call(const std::string& op, const std::string& path, json extra = json::object()) {
    extra["op"] = op;
    extra["path"] = path;
    std::string line = transport_(extra.dump());
    json answer;
    try {
      answer = json::parse(line);
      if (answer.at("ok").get<bool>()) return answer.at("value");
    } catch (const json::exception& e) {
      throw core::Error("lab host '" + host_ + "' answered a disk request with nonsense: " +
                            std::string(e.what()),
                        path, "install the same worlds version on every lab host");
    }
    throw core::Error("lab host '" + host_ + "': " + answer.value("error", std::string()),
                      answer.value("where", path), answer.value("fix", std::string()));
  }

  DisksTransport transport_;
  std::string host_;
};

// One ssh connection to `remote_exe __disks`, a request and its answer at a
// time.
class SshTransport {
 public:
  SshTransport(std::vector<std::string> argv, std::string host, std::string log_path)
      : argv_(std::move(argv)), host_(std::move(host)), log_path_(std::move(log_path)) {}

  std::string operator()(const std::string& request) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!child_) {
      try {
        child_.emplace(process::Spawn(argv_, {log_path_}));
      } catch (const core::Error& e) {
        throw core::Error("cannot reach lab host '" + host_ + "' for its disks: " + e.message(),
                          argv_.front());
      }
    }
    std::optional<std::string> answer;
    try {
      child_->Write(request + "\n");
      answer = child_->ReadLine();
    } catch (const core::Error&) {
      answer.reset();
    }
    if (!answer) {
      std::string how = child_->Wait().Describe();
      child_.reset();  // the next call tries a new connection
      throw core::Error("lost the connection to lab host " + host_ + " (ssh " + how + ")", "",
                        log_path_.empty() ? "check that the host is up and reached over SSH"
                                          : "see " + log_path_);
    }
    return *answer;
  }

 private:
  std::vector<std::string> argv_;
  std::string host_;
  std::string log_path_;
  std::mutex mu_;
  std::optional<process::Child> child_;
};

}  // namespace

std::unique_ptr<Disks> NewDisksClient(DisksTransport transport, std::string host) {
  return std::make_unique<DisksClient>(std::move(transport), std::move(host));
}

std::string AnswerDisksRequest(Disks& disks, const std::string& request) {
  std::string path;
  try {
    json in = json::parse(request);
    std::string op = in.at("op").get<std::string>();
    path = in.at("path").get<std::string>();
    json value;
    if (op == "exists") {
      value = disks.Exists(path);
    } else if (op == "has_clean") {
      value = disks.HasClean(path);
    } else if (op == "backing_file") {
      std::optional<std::string> backing = disks.BackingFile(path);
      value = backing ? json(*backing) : json(nullptr);
    } else if (op == "create_overlay") {
      disks.CreateOverlay(in.at("base").get<std::string>(), in.at("format").get<std::string>(),
                          path);
    } else if (op == "remove") {
      disks.Remove(path);
    } else if (op == "allocated_bytes") {
      value = disks.AllocatedBytes(path);
    } else if (op == "virtual_bytes") {
      value = disks.VirtualBytes(path);
    } else if (op == "free_bytes") {
      value = disks.FreeBytes(path);
    } else if (op == "checksum") {
      value = disks.Checksum(path);
    } else if (op == "export_snapshot") {
      disks.ExportSnapshot(path, in.at("snapshot").get<std::string>(),
                           in.at("out").get<std::string>());
    } else {
      throw core::Error("unknown disk request '" + op + "'", "",
                        "install the same worlds version on every lab host");
    }
    return json{{"ok", true}, {"value", value}}.dump();
  } catch (const core::Error& e) {
    return json{{"ok", false}, {"error", e.message()}, {"where", e.where()}, {"fix", e.fix()}}
        .dump();
  } catch (const std::exception& e) {
    return json{{"ok", false}, {"error", std::string("bad disk request: ") + e.what()},
                {"where", path}, {"fix", ""}}
        .dump();
  }
}

std::unique_ptr<Disks> NewSshDisks(const std::string& uri, const std::string& remote_exe,
                                   const std::string& log_path) {
  std::vector<std::string> argv = hosts::SshArgv(uri, {remote_exe, "__disks"});
  auto transport = std::make_shared<SshTransport>(argv, uri, log_path);
  return NewDisksClient([transport](const std::string& request) { return (*transport)(request); },
                        uri);
}

int DisksServerMain() {
  std::unique_ptr<Disks> disks = NewQemuImgDisks();
  for (std::string line; std::getline(std::cin, line);) {
    std::cout << AnswerDisksRequest(*disks, line) << std::endl;
  }
  return 0;
}

namespace {

std::string Said(const std::string& log_path) {
  std::ifstream said(log_path);
  std::string text((std::istreambuf_iterator<char>(said)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

void SendFile(const std::string& uri, const std::string& remote_exe,
              const std::string& local_path, const std::string& remote_path,
              const std::string& sha256, bool writable) {
  std::vector<std::string> remote = {remote_exe, "__receive", remote_path, sha256};
  if (writable) remote.push_back("writable");
  std::vector<std::string> argv = hosts::SshArgv(uri, remote);
  std::ifstream in(local_path, std::ios::binary);
  if (!in) {
    throw core::Error("cannot read: " + std::string(std::strerror(errno)), local_path);
  }
  core::TempPath log = core::TempPath::File("worlds-send-");
  process::Child child = process::Spawn(argv, {log.path()});
  std::string chunk(1 << 20, '\0');
  std::string failed;
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    try {
      child.Write(chunk.substr(0, static_cast<size_t>(n)));
    } catch (const core::Error& e) {
      failed = e.message();
      break;
    }
  }
  child.CloseStdin();
  process::Status status = child.Wait();
  if (!status.ok() || !failed.empty()) {
    std::string text = Said(log.path());
    throw core::Error("cannot copy to the lab host of " + uri + ": the copy " +
                          status.Describe() + (text.empty() ? "" : ": " + text),
                      remote_path, "check the host's free space and that worlds is installed there");
  }
}

void FetchFile(const std::string& uri, const std::string& remote_exe,
               const std::string& remote_path, const std::string& local_path) {
  std::vector<std::string> argv = hosts::SshArgv(uri, {remote_exe, "__send", remote_path});
  core::TempPath log = core::TempPath::File("worlds-fetch-");
  std::ofstream out(local_path, std::ios::binary | std::ios::trunc);
  if (!out) throw core::Error("cannot write: " + std::string(std::strerror(errno)), local_path);
  process::Child child = process::Spawn(argv, {log.path()});
  std::string chunk;
  while (child.ReadSome(&chunk)) {
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    chunk.clear();
  }
  out.flush();
  process::Status status = child.Wait();
  if (!status.ok() || !out) {
    std::string text = Said(log.path());
    throw core::Error("cannot copy from the lab host of " + uri + ": the copy " +
                          status.Describe() + (text.empty() ? "" : ": " + text),
                      remote_path, "check that the host is up and the file is there");
  }
}

int SendFileMain(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << path << ": cannot read: " << std::strerror(errno) << std::endl;
    return 1;
  }
  std::cout << in.rdbuf();
  std::cout.flush();
  return std::cout ? 0 : 1;
}

int ReceiveFileMain(const std::string& path, const std::string& sha256, bool writable) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string temp = path + ".tmp-" + std::to_string(::getpid());
  try {
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      if (!out) throw core::Error("cannot write: " + std::string(std::strerror(errno)), temp);
      out << std::cin.rdbuf();
      out.flush();
      if (!out) throw core::Error("cannot write: " + std::string(std::strerror(errno)), temp);
    }
    std::string got = image::Checksum(temp);
    if (got != sha256) {
      throw core::Error("the copy arrived with sha256 " + got + ", not " + sha256, path,
                        "deploy again; check the connection and the disk if it recurs");
    }
    // Overlays read their base; nothing writes it again. An overlay stays
    // QEMU's to write.
    ::chmod(temp.c_str(), writable ? 0644 : 0444);
    // link(2), not rename(2): an image that appeared meanwhile is not replaced.
    if (::link(temp.c_str(), path.c_str()) != 0) {
      throw core::Error("cannot put the image in place: " + std::string(std::strerror(errno)),
                        path);
    }
    ::unlink(temp.c_str());
    return 0;
  } catch (const core::Error& e) {
    ::unlink(temp.c_str());
    std::cerr << e.Describe() << std::endl;
    return 1;
  }
}

}  // namespace deploy
