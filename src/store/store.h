// Worlds' state in SQLite (WAL, foreign keys on): labs, users, worlds, vms,
// deployments, base images and the `events` audit trail. Schema and numbered
// migrations live in db/ and are applied on Open via PRAGMA user_version.
// A Store is used by one thread at a time; many processes may open the file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace store {

// How far a VM has got; each phase implies the ones before it.
enum class VmPhase { kPlanned, kOverlay, kCustomized, kDefined, kReady };
const char* ToString(VmPhase phase);
std::optional<VmPhase> ParsePhase(const std::string& text);

struct VmRecord {
  std::string lab;
  std::string owner;
  std::string vm;
  std::string domain;
  std::string overlay;
  VmPhase phase = VmPhase::kPlanned;
  std::string updated_at;  // UTC, ISO 8601
  // JSON (deploy::PublicIdentityJson): machine-id, host keys, NIC names;
  // "" until customized; set by SetVmIdentity, never by SetVm.
  std::string identity;
  // Its World's lab host (WorldRecord::host); read, never written by SetVm.
  std::string host;
};

struct UserRecord {
  std::string username;
  std::string full_name;
  std::string group;  // roster group; "" when none
};

// A Unix account that `worlds users sync` created (db/002_accounts.sql).
struct AccountRecord {
  std::string username;
  int64_t uid = -1;
  std::string created_at;
};

struct WorldRecord {
  std::string lab;
  std::string owner;
  int index = 0;
  std::string created_at;
  std::string host;  // a HostRecord's name; "": the `connect` setting's host
};

// A lab host of the inventory (db/006_hosts.sql).
struct HostRecord {
  std::string name;
  std::string uri;          // libvirt URI
  std::string storage_dir;  // where its overlays live, on that host
  std::optional<int64_t> memory_mib;  // nullopt: what libvirt reports
  std::optional<int64_t> vcpus;       // nullopt: what libvirt reports
  int64_t keep_free_mib = 0;          // disk to leave free in storage_dir
  bool draining = false;              // no new World is placed there
  std::string added_by;
  std::string added_at;  // set by the store
};

struct BaseImageRecord {
  std::string path;
  std::string checksum;  // sha256 hex
  int64_t size = 0;
  int64_t mtime_ns = 0;
};

// A lab as its last deploy recorded it.
struct LabRecord {
  std::string name;
  std::string source_file;
  std::string description;
  // Its schedule and idle policy as JSON (schedule::EncodePolicy); "" for
  // none: always open.
  std::string policy;
  std::string updated_at;
};

// An instructor's `worlds lab open|close` (db/005_lab_policy.sql).
struct LabOverrideRecord {
  std::string lab;
  bool open = true;
  std::optional<std::string> until;  // UTC ISO 8601; nullopt: no end
  std::string actor;
  std::string at;  // when given; the store sets it (UTC) when empty
};

struct Event {
  int64_t id = 0;
  // When it happened: set by the store when empty. Any ISO 8601 time with or
  // without a zone is accepted and stored as UTC with milliseconds
  // ("2024-05-01T12:00:00.000Z"); AddEvent throws core::Error for anything
  // else.
  std::string at;
  int64_t uid = -1;   // OS uid of who acted
  std::string actor;  // user name of who acted
  std::string action; // "deploy", "destroy", "start", "revert", ...
  std::string target; // lab, domain, ...
  std::string result; // "ok" or "error"
  std::string detail;
};

struct EventFilter {
  std::optional<std::string> actor;   // events by or about this owner
  // Events at or after this time: an ISO 8601 date ("2024-05-01", its
  // midnight UTC) or date-time with or without a zone ("Z", "+02:00"),
  // compared as a time. Events() throws core::Error naming it otherwise.
  std::optional<std::string> since;
  int limit = 1000;
};

class Store {
 public:
  // Opens (creating when missing) the database at `path`, or ":memory:".
  // Throws core::Error naming the path and SQLite's message.
  static std::unique_ptr<Store> Open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int SchemaVersion() const;
  // The migrations applied since schema_history exists (migration 4), in
  // order: which, when, and by which worlds version.
  struct SchemaChange {
    int version = 0;
    std::string name;
    std::string worlds_version;
    std::string applied_at;
  };
  std::vector<SchemaChange> SchemaHistory() const;

  void UpsertLab(const std::string& name, const std::string& source_file,
                 const std::string& description);
  // The recorded labs, by name; one of them, nullopt when never deployed
  // (src/store/lab_policy.cc).
  std::vector<LabRecord> Labs();
  std::optional<LabRecord> FindLab(const std::string& name);
  // Records the lab's policy JSON; throws core::Error when the lab is not
  // recorded (UpsertLab first).
  void SetLabPolicy(const std::string& lab, const std::string& policy_json);
  // The lab's override, replacing an older one; throws core::Error when
  // the lab is not recorded. ClearLabOverride returns whether there was one.
  void SetLabOverride(const LabOverrideRecord& record);
  std::optional<LabOverrideRecord> FindLabOverride(const std::string& lab);
  bool ClearLabOverride(const std::string& lab);
  void UpsertUser(const std::string& username, const std::string& full_name,
                  const std::string& group);
  // The roster's row for `username`; nullopt when the user was never
  // deployed to (src/store/users.cc).
  std::optional<UserRecord> FindUser(const std::string& username);
  // The accounts Worlds created, so that only those are ever deleted
  // (src/store/accounts.cc). RecordAccount replaces an older row of the
  // same name; RemoveAccount of an unknown name is a no-op.
  void RecordAccount(const std::string& username, int64_t uid);
  std::vector<AccountRecord> Accounts();
  void RemoveAccount(const std::string& username);
  void UpsertWorld(const std::string& lab, const std::string& owner, int index);
  std::vector<WorldRecord> Worlds(const std::optional<std::string>& lab,
                                  const std::optional<std::string>& owner);
  // Removes the World and its VMs' rows.
  void RemoveWorld(const std::string& lab, const std::string& owner);
  // Places the World on `host` (a HostRecord's name; "" for the `connect`
  // setting's host). Throws core::Error when the World or the host is not
  // recorded.
  void SetWorldHost(const std::string& lab, const std::string& owner, const std::string& host);

  // The lab host inventory (src/hosts/inventory.h decides what is valid and
  // refuses a taken name or URI, an unknown host or one that holds Worlds;
  // the table's keys and these throws are the backstop).
  // AddHost throws core::Error when the name or the URI is taken.
  void AddHost(const HostRecord& host);
  std::vector<HostRecord> Hosts();  // by name
  std::optional<HostRecord> FindHost(const std::string& name);
  // Both throw core::Error when there is no such host.
  void RemoveHost(const std::string& name);
  void SetHostDraining(const std::string& name, bool draining);
  // How many Worlds are placed on `host` ("": the `connect` setting's).
  int CountWorldsOn(const std::string& host);

  // Inserts or updates one VM row (its World must exist).
  void SetVm(const VmRecord& vm);
  std::optional<VmRecord> FindVm(const std::string& lab, const std::string& owner,
                                 const std::string& vm);
  std::optional<VmRecord> FindVmByDomain(const std::string& domain);
  std::vector<VmRecord> Vms(const std::optional<std::string>& lab,
                            const std::optional<std::string>& owner);
  void RemoveVm(const std::string& lab, const std::string& owner,
                const std::string& vm);

  // Records the identity made for `domain`'s VM (its row must exist).
  void SetVmIdentity(const std::string& domain, const std::string& identity_json);

  std::optional<BaseImageRecord> FindBaseImage(const std::string& path);
  void SetBaseImage(const BaseImageRecord& record);

  // What inspection found in the base with sha256 `checksum` (JSON, see
  // deploy::EncodeOsInfo); nullopt when it was never inspected.
  std::optional<std::string> FindInspection(const std::string& checksum);
  void SetInspection(const std::string& checksum, const std::string& report);

  // A deployment row: started now, finished later with its outcome.
  int64_t BeginDeployment(const std::string& lab, const std::string& actor,
                          const std::string& args);
  void FinishDeployment(int64_t id, const std::string& result,
                        const std::string& summary);

  int64_t AddEvent(const Event& event);
  std::vector<Event> Events(const EventFilter& filter);

  // Runs `fn` inside one transaction: committed when it returns, rolled back
  // when it throws (the exception propagates).
  template <typename Fn>
  void InTransaction(Fn&& fn) {
    Begin();
    try {
      fn();
    } catch (...) {
      Rollback();
      throw;
    }
    Commit();
  }

 private:
  explicit Store(sqlite3* db);
  void Begin();
  void Commit();
  void Rollback();

  struct Closer {
    void operator()(sqlite3* db) const noexcept;
  };
  std::unique_ptr<sqlite3, Closer> db_;
};

}  // namespace store
