#include "deploy/lab_policy.h"

#include "core/error.h"
#include "core/names.h"

namespace deploy {

schedule::Override ToOverride(const store::LabOverrideRecord& record) {
  schedule::Override out;
  out.open = record.open;
  if (record.until) {
    std::optional<schedule::TimePoint> until = schedule::ParseUtc(*record.until);
    if (!until) {
      throw core::Error("the override of lab '" + record.lab + "' has a malformed end '" +
                            *record.until + "'",
                        "lab_overrides", "run `worlds lab follow-schedule " + record.lab +
                                             "`, then open or close it again");
    }
    out.until = until;
  }
  out.who = record.actor;
  out.when = schedule::ParseUtc(record.at).value_or(schedule::TimePoint{});
  return out;
}

store::LabOverrideRecord ToRecord(const std::string& lab, const schedule::Override& override_) {
  store::LabOverrideRecord record;
  record.lab = lab;
  record.open = override_.open;
  if (override_.until) record.until = schedule::FormatUtc(*override_.until);
  record.actor = override_.who;
  record.at = schedule::FormatUtc(override_.when);
  return record;
}

LabPolicyState ReadLabPolicy(store::Store& store, const std::string& lab,
                             schedule::TimePoint now) {
  std::optional<store::LabRecord> record = store.FindLab(lab);
  if (!record) {
    std::vector<std::string> names;
    for (const store::LabRecord& known : store.Labs()) names.push_back(known.name);
    std::string hint = core::Spellcheck(lab, names);
    throw core::InputError(
        "unknown lab '" + lab + "': it was never deployed", "",
        hint.empty() ? "`worlds lab state` lists the deployed labs"
                     : "did you mean '" + hint + "'?");
  }
  LabPolicyState out;
  out.lab = lab;
  out.policy = schedule::DecodePolicy(record->policy);
  if (std::optional<store::LabOverrideRecord> o = store.FindLabOverride(lab)) {
    out.override_ = ToOverride(*o);
  }
  out.state = schedule::Effective(out.policy.schedule, out.override_, now);
  out.timezone = out.policy.schedule ? out.policy.schedule->timezone : "UTC";
  return out;
}

}  // namespace deploy
