// Labs' schedules and the instructors' overrides (db/005_lab_policy.sql).
#include "core/error.h"
#include "store/statement.h"
#include "store/store.h"

namespace store {
namespace {

void RequireLab(sqlite3* db, const std::string& lab) {
  Statement known(db, "SELECT 1 FROM labs WHERE name = ?1");
  if (!known.Bind(1, lab).Step()) {
    throw core::Error("lab '" + lab + "' is not recorded in the state database",
                      DatabasePath(db), "deploy the lab first");
  }
}

LabRecord ReadLab(const Statement& row) {
  return LabRecord{row.Text(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4)};
}

constexpr const char kLabColumns[] =
    "SELECT name, source_file, description, policy, updated_at FROM labs";

}  // namespace

std::vector<LabRecord> Store::Labs() {
  Statement query(db_.get(), (std::string(kLabColumns) + " ORDER BY name").c_str());
  std::vector<LabRecord> labs;
  while (query.Step()) labs.push_back(ReadLab(query));
  return labs;
}

std::optional<LabRecord> Store::FindLab(const std::string& name) {
  Statement query(db_.get(), (std::string(kLabColumns) + " WHERE name = ?1").c_str());
  if (!query.Bind(1, name).Step()) return std::nullopt;
  return ReadLab(query);
}

void Store::SetLabPolicy(const std::string& lab, const std::string& policy_json) {
  RequireLab(db_.get(), lab);
  Statement(db_.get(), "UPDATE labs SET policy = ?2 WHERE name = ?1")
      .Bind(1, lab)
      .Bind(2, policy_json)
      .Run();
}

void Store::SetLabOverride(const LabOverrideRecord& record) {
  RequireLab(db_.get(), record.lab);
  std::optional<std::string> at;
  if (!record.at.empty()) at = record.at;
  Statement(db_.get(),
            "INSERT INTO lab_overrides (lab, state, until, actor, at) "
            "VALUES (?1, ?2, ?3, ?4, COALESCE(?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))) "
            "ON CONFLICT (lab) DO UPDATE SET state = excluded.state, until = excluded.until, "
            "actor = excluded.actor, at = excluded.at")
      .Bind(1, record.lab)
      .Bind(2, record.open ? "open" : "closed")
      .Bind(3, record.until)
      .Bind(4, record.actor)
      .Bind(5, at)
      .Run();
}

std::optional<LabOverrideRecord> Store::FindLabOverride(const std::string& lab) {
  Statement query(db_.get(),
                  "SELECT lab, state, until, actor, at FROM lab_overrides WHERE lab = ?1");
  if (!query.Bind(1, lab).Step()) return std::nullopt;
  LabOverrideRecord record;
  record.lab = query.Text(0);
  record.open = query.Text(1) == "open";
  if (!query.IsNull(2)) record.until = query.Text(2);
  record.actor = query.Text(3);
  record.at = query.Text(4);
  return record;
}

bool Store::ClearLabOverride(const std::string& lab) {
  Statement(db_.get(), "DELETE FROM lab_overrides WHERE lab = ?1").Bind(1, lab).Run();
  return sqlite3_changes(db_.get()) > 0;
}

}  // namespace store
