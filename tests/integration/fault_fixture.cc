#include "integration/fault_fixture.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "support/roster.h"

namespace it {

namespace fs = std::filesystem;

std::string Outcome::Describe() const {
  if (timed_out)
    return "hung (killed by the test)";
  if (signaled)
    return "killed by signal " + std::to_string(signal);
  return "exit " + std::to_string(code);
}

void FaultTest::SetUp() {
  DeployTest::SetUp();
  if (!ready_)
    return;
  roster_ = dir_ + "/two.csv";
  support::WriteRoster(roster_, {support::kAlice, support::kBob});
}

Outcome FaultTest::RunWorlds(const std::vector<std::string> &args,
                             const std::string &failpoint, int timeout_s) {
  process::SpawnOptions options;
  options.stderr_file = dir_ + "/run.err";
  options.env = {{"WORLDS_FAILPOINT", failpoint.empty()
                                          ? std::nullopt
                                          : std::optional<std::string>(failpoint)}};
  std::vector<std::string> argv = Global(args);
  argv.insert(argv.begin(), WORLDS_BINARY);
  process::Child child = process::Spawn(argv, options);
  child.CloseStdin();  // the command reads no input (was /dev/null)
  it::OutputReader out(child);
  Outcome outcome;
  outcome.pid = child.pid();
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (it::Running(child)) {
    if (std::chrono::steady_clock::now() > deadline) {
      outcome.timed_out = true;
      child.Kill(SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  outcome.out = out.Finish();
  process::Status status = child.Wait();
  outcome.signaled = status.signal != 0;
  outcome.signal = status.signal;
  outcome.code = outcome.signaled ? -1 : status.exit_code;
  outcome.err = ReadFile(options.stderr_file);
  return outcome;
}

Outcome FaultTest::DeployWith(const std::string &failpoint, int jobs) {
  return RunWorlds({"deploy", lab_file_, "--roster", roster_, "--jobs",
                    std::to_string(jobs)},
                   failpoint);
}

std::string CommandLine(pid_t pid) {
  std::string text = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  for (char &c : text) {
    if (c == '\0')
      c = ' ';
  }
  return text;
}

pid_t ParentOf(pid_t pid) {
  // "pid (comm) state ppid ...": comm may hold spaces, so read after ')'.
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 1));
  std::string state;
  pid_t parent = -1;
  rest >> state >> parent;
  return parent;
}

std::vector<pid_t> ProcessesNamed(const std::string &name) {
  std::vector<pid_t> pids;
  for (const auto &entry : fs::directory_iterator("/proc")) {
    std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::string argv0 = ReadFile(entry.path().string() + "/cmdline");
    argv0 = argv0.substr(0, argv0.find('\0'));
    if (fs::path(argv0).filename() == name)
      pids.push_back(std::stoi(pid));
  }
  return pids;
}

void FaultTest::ExpectNoLeftovers(pid_t parent) {
  std::string worker = " __worker " + std::to_string(parent) + " ";
  std::vector<std::string> left;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  do {
    left.clear();
    for (const auto &entry : fs::directory_iterator("/proc")) {
      std::string pid = entry.path().filename();
      if (pid.find_first_not_of("0123456789") != std::string::npos)
        continue;
      std::string line = CommandLine(std::stoi(pid));
      // libvirt's own QEMU of a started VM names its guest; an appliance
      // over our overlays or a worker of the killed parent must be gone.
      bool ours = line.find(worker) != std::string::npos ||
                  (line.find(dir_) != std::string::npos &&
                   line.find("guest=w-") == std::string::npos);
      if (ours)
        left.push_back(pid + ": " + line.substr(0, 200));
    }
    if (left.empty())
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < deadline);
  std::string text;
  for (const std::string &line : left)
    text += "\n  " + line;
  ADD_FAILURE() << "processes outlived the killed pid " << parent
                << " by 30 s:" << text;
}

bool FaultTest::HasClean(const std::string &domain) {
  it::Run snaps = Exec({"virsh", "-q", "-c", "qemu:///system", "snapshot-list",
                        domain, "--name"});
  std::istringstream in(snaps.out);
  for (std::string line; std::getline(in, line);) {
    if (line == "clean")
      return true;
  }
  return false;
}

std::string FaultTest::DomState(const std::string &domain) {
  it::Run state =
      Exec({"virsh", "-q", "-c", "qemu:///system", "domstate", domain});
  return state.out.substr(0, state.out.find('\n'));
}

std::set<std::string> FaultTest::SmallDomains() const {
  std::set<std::string> out;
  for (const char *user : kFaultUsers) {
    for (const char *vm : kVms)
      out.insert(core::DomainName(Lab(), user, vm));
  }
  return out;
}

std::set<std::string> FaultTest::SmallNetworks() const {
  std::set<std::string> out;
  for (const char *user : kFaultUsers)
    out.insert(core::NetworkName(Lab(), user, "lan"));
  return out;
}

std::set<std::string> FaultTest::Networks() {
  std::set<std::string> out;
  std::istringstream in(Exec({"virsh", "-q", "-c", "qemu:///system", "net-list",
                              "--all", "--name"})
                            .out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("w-" + Lab() + "-", 0) == 0)
      out.insert(line);
  }
  return out;
}

std::string FaultTest::ExpectStatusTruthful(const std::string &step) {
  it::Run status = Worlds(Global({"status", "--lab", Lab(), "--json"}));
  EXPECT_EQ(status.code, 0) << step << ": " << status.err;
  nlohmann::json rows;
  try {
    rows = nlohmann::json::parse(status.out);
  } catch (const std::exception &e) {
    ADD_FAILURE() << step << ": status --json is not JSON: " << status.out;
    return "";
  }
  std::set<std::string> domains = Domains();
  std::set<std::string> listed;
  std::string summary;
  for (const nlohmann::json &row : rows) {
    std::string domain = row.value("domain", "");
    std::string phase = row.value("phase", "");
    std::string recorded = row.value("recorded_phase", "");
    EXPECT_TRUE(listed.insert(domain).second)
        << step << ": listed twice: " << domain;
    summary += " " + domain.substr(std::min(domain.size(), Lab().size() + 3)) +
               "=" + phase + "(" + recorded + ")";
    bool defined = domains.count(domain) > 0;
    if (recorded == "unrecorded" && phase == "unrecorded") {
      EXPECT_TRUE(defined) << step << ": stray " << domain << " is not defined";
      continue;
    }
    std::string owner = row.value("owner", ""), vm = row.value("vm", "");
    EXPECT_EQ(row.value("overlay", ""),
              core::OverlayPath(state_dir_, Lab(), owner, vm));
    bool overlay = fs::exists(row.value("overlay", ""));
    bool clean = defined && HasClean(domain);
    // Only an overlay with `clean` inside is kept (student data); one a
    // killed deploy left without it is rebuilt.
    bool clean_inside = false;
    if (overlay) {
      it::Run info = it::Exec({"qemu-img", "info", "--output=json", "-U",
                               row.value("overlay", "")});
      clean_inside = info.out.find("\"name\": \"clean\"") != std::string::npos;
    }
    std::string truth = defined && overlay && clean       ? "ready"
                        : !defined && overlay && clean_inside ? "kept-overlay"
                        : !defined && !overlay              ? "missing"
                                                            : "incomplete";
    EXPECT_EQ(phase, truth)
        << step << ": " << domain << " (recorded " << recorded << "; domain "
        << defined << ", overlay " << overlay << ", clean " << clean << ")";
  }
  for (const std::string &domain : domains) {
    EXPECT_TRUE(listed.count(domain))
        << step << ": status does not show " << domain;
    EXPECT_TRUE(SmallDomains().count(domain))
        << step << ": unexpected domain " << domain;
  }
  for (const std::string &net : Networks()) {
    EXPECT_TRUE(SmallNetworks().count(net))
        << step << ": unexpected network " << net;
  }
  std::cout << "[fault] " << step << ": status"
            << (summary.empty() ? " (none)" : summary) << "\n";
  return summary;
}

void FaultTest::ExpectStoreIntact(const std::string &step) {
  sqlite3 *raw = nullptr;
  std::string path = core::StateDbPath(state_dir_);
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3 *)> db(raw, sqlite3_close_v2);
  ASSERT_EQ(rc, SQLITE_OK) << step << ": " << path;
  auto rows = [&](const char *sql) {
    std::vector<std::string> out;
    sqlite3_stmt *stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db.get(), sql, -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db.get());
    while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char *text = sqlite3_column_text(stmt, 0);
      out.push_back(text ? reinterpret_cast<const char *>(text) : "NULL");
    }
    sqlite3_finalize(stmt);
    return out;
  };
  EXPECT_EQ(rows("PRAGMA integrity_check"), std::vector<std::string>{"ok"})
      << step;
  EXPECT_EQ(rows("PRAGMA foreign_key_check"), std::vector<std::string>{})
      << step;
}

void FaultTest::ExpectConverged() {
  EXPECT_EQ(Domains(), SmallDomains());
  EXPECT_EQ(Networks(), SmallNetworks());
  for (const char *user : kFaultUsers) {
    std::set<std::string> files;
    std::string dir = core::OverlayDir(state_dir_, Lab(), user);
    for (const auto &entry : fs::directory_iterator(dir)) {
      std::string name = entry.path().filename();
      // Console logs appear once a VM has run; anything else is debris.
      if (name.size() < 12 || name.substr(name.size() - 12) != ".console.log") {
        files.insert(name);
      }
    }
    EXPECT_EQ(files, (std::set<std::string>{"client.qcow2", "router.qcow2"}))
        << dir;
    for (const char *vm : kVms) {
      std::string domain = core::DomainName(Lab(), user, vm);
      it::Run snaps = Exec({"virsh", "-q", "-c", "qemu:///system",
                            "snapshot-list", domain, "--name"});
      EXPECT_EQ(snaps.out.substr(0, snaps.out.find_last_not_of("\n") + 1),
                "clean")
          << domain;
      it::Run info = Exec({"qemu-img", "info", "--output=json", "-U",
                           "--backing-chain", Overlay(user, vm)});
      ASSERT_EQ(info.code, 0) << info.err;
      nlohmann::json chain = nlohmann::json::parse(info.out);
      ASSERT_EQ(chain.size(), 2u) << "overlay over one base";
      EXPECT_EQ(chain[0]["backing-filename"], image_dir_ + "/tiny.qcow2");
      EXPECT_EQ(chain[0]["snapshots"].size(), 1u) << domain;
      EXPECT_EQ(chain[0]["snapshots"][0]["name"], "clean");
    }
  }
  std::string summary = ExpectStatusTruthful("converged");
  size_t ready = 0;
  for (size_t at = 0;
       (at = summary.find("=ready(ready)", at)) != std::string::npos; ++at) {
    ++ready;
  }
  EXPECT_EQ(ready, 4u) << "status after convergence:" << summary;
}

std::string FaultTest::WorkerLogs() const { return it::WorkerLogs(state_dir_); }

} // namespace it
