// Store's append-mostly tables: base images, deployments, the event log.
#include <sqlite3.h>

#include "core/error.h"
#include "store/statement.h"
#include "store/store.h"

namespace store {
namespace {

// The one form of `events.at`: UTC, milliseconds, "2024-05-01T12:00:00.000Z".
// Every row is stored in it, so comparing two values as text (and through
// the events_at index) compares them as times.
constexpr const char* kTimeFormat = "'%Y-%m-%dT%H:%M:%fZ'";

// `value` (an SQLite time: date, date-time, optional Z or +HH:MM) in the
// one form; throws core::Error naming `what` when SQLite cannot read it.
std::string NormalizeTime(sqlite3* db, const std::string& value, const std::string& what) {
  Statement query(db, (std::string("SELECT strftime(") + kTimeFormat + ", ?1)").c_str());
  std::string normalized = query.Bind(1, value).Step() ? query.Text(0) : "";
  if (normalized.empty()) {
    throw core::Error(what + ": '" + value + "' is not a time", DatabasePath(db),
                      "use ISO 8601: 2024-05-01, 2024-05-01T12:00:00Z or "
                      "2024-05-01T14:00:00+02:00");
  }
  return normalized;
}

}  // namespace

std::optional<BaseImageRecord> Store::FindBaseImage(const std::string& path) {
  Statement query(db_.get(),
                  "SELECT path, checksum, size, mtime_ns FROM base_images WHERE path = ?1");
  if (!query.Bind(1, path).Step()) return std::nullopt;
  BaseImageRecord record;
  record.path = query.Text(0);
  record.checksum = query.Text(1);
  record.size = query.Int(2);
  record.mtime_ns = query.Int(3);
  return record;
}

void Store::SetBaseImage(const BaseImageRecord& record) {
  Statement(db_.get(),
            "INSERT INTO base_images (path, checksum, size, mtime_ns) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT (path) DO UPDATE SET checksum = excluded.checksum, "
            "size = excluded.size, mtime_ns = excluded.mtime_ns, "
            "registered_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
      .Bind(1, record.path)
      .Bind(2, record.checksum)
      .Bind(3, record.size)
      .Bind(4, record.mtime_ns)
      .Run();
}

void Store::SetVmIdentity(const std::string& domain, const std::string& identity_json) {
  Statement(db_.get(), "UPDATE vms SET identity = ?2 WHERE domain = ?1")
      .Bind(1, domain)
      .Bind(2, identity_json)
      .Run();
}

std::optional<std::string> Store::FindInspection(const std::string& checksum) {
  Statement query(db_.get(), "SELECT report FROM image_inspections WHERE checksum = ?1");
  if (!query.Bind(1, checksum).Step()) return std::nullopt;
  return query.Text(0);
}

void Store::SetInspection(const std::string& checksum, const std::string& report) {
  Statement(db_.get(),
            "INSERT INTO image_inspections (checksum, report) VALUES (?1, ?2) "
            "ON CONFLICT (checksum) DO UPDATE SET report = excluded.report, "
            "inspected_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
      .Bind(1, checksum)
      .Bind(2, report)
      .Run();
}

int64_t Store::BeginDeployment(const std::string& lab, const std::string& actor,
                               const std::string& args) {
  Statement(db_.get(), "INSERT INTO deployments (lab, actor, args) VALUES (?1, ?2, ?3)")
      .Bind(1, lab)
      .Bind(2, actor)
      .Bind(3, args)
      .Run();
  return sqlite3_last_insert_rowid(db_.get());
}

void Store::FinishDeployment(int64_t id, const std::string& result,
                             const std::string& summary) {
  Statement(db_.get(),
            "UPDATE deployments SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
            "result = ?2, summary = ?3 WHERE id = ?1")
      .Bind(1, id)
      .Bind(2, result)
      .Bind(3, summary)
      .Run();
  if (sqlite3_changes(db_.get()) == 0) {
    throw core::Error("no deployment " + std::to_string(id) + " to finish",
                      DatabasePath(db_.get()));
  }
}

int64_t Store::AddEvent(const Event& event) {
  std::string at = event.at.empty() ? "now" : NormalizeTime(db_.get(), event.at, "event time");
  Statement(db_.get(),
            (std::string("INSERT INTO events (at, uid, actor, action, target, result, detail) "
                         "VALUES (strftime(") +
             kTimeFormat + ", ?1), ?2, ?3, ?4, ?5, ?6, ?7)")
                .c_str())
      .Bind(1, at)
      .Bind(2, event.uid)
      .Bind(3, event.actor)
      .Bind(4, event.action)
      .Bind(5, event.target)
      .Bind(6, event.result)
      .Bind(7, event.detail)
      .Run();
  return sqlite3_last_insert_rowid(db_.get());
}

std::vector<Event> Store::Events(const EventFilter& filter) {
  // "By or about" an owner: they acted, or the target names them as one
  // whole dash-separated part (w-<lab>-<owner>-<vm>). instr() rather than
  // LIKE, so '_' and '%' in a name are not wildcards. The newest `limit`
  // rows are picked, then returned oldest first. `since` is normalized like
  // every stored `at`, so `at >= ?2` is a comparison of times.
  std::optional<std::string> since;
  if (filter.since) since = NormalizeTime(db_.get(), *filter.since, "events since");
  Statement query(db_.get(),
                  "SELECT id, at, uid, actor, action, target, result, detail FROM ("
                  "  SELECT * FROM events WHERE"
                  "  (?1 IS NULL OR actor = ?1"
                  "   OR instr('-' || target || '-', '-' || ?1 || '-') > 0)"
                  "  AND (?2 IS NULL OR at >= ?2)"
                  "  ORDER BY id DESC LIMIT ?3"
                  ") ORDER BY id");
  query.Bind(1, filter.actor).Bind(2, since).Bind(3, filter.limit);
  std::vector<Event> events;
  while (query.Step()) {
    Event event;
    event.id = query.Int(0);
    event.at = query.Text(1);
    event.uid = query.Int(2);
    event.actor = query.Text(3);
    event.action = query.Text(4);
    event.target = query.Text(5);
    event.result = query.Text(6);
    event.detail = query.Text(7);
    events.push_back(std::move(event));
  }
  return events;
}

}  // namespace store
