#include "cli/lab_state.h"

#include <nlohmann/json.hpp>

#include <vector>

#include "cli/table.h"
#include "deploy/actions.h"
#include "deploy/lab_policy.h"
#include "schedule/parse.h"
#include "schedule/schedule.h"

namespace cli {
namespace {

const char* ActionOf(LabSwitch what) {
  switch (what) {
    case LabSwitch::kOpen: return "lab-open";
    case LabSwitch::kClose: return "lab-close";
    case LabSwitch::kFollowSchedule: return "lab-follow-schedule";
  }
  return "lab";
}

// "open until Mon 16:00 CST (opened by prof)"
std::string Sentence(const deploy::LabPolicyState& lab, schedule::TimePoint now) {
  return schedule::Describe(lab.state, lab.timezone, now) + " (" + lab.state.why + ")";
}

bool OverrideInForce(const deploy::LabPolicyState& lab, schedule::TimePoint now) {
  return lab.override_ && (!lab.override_->until || now < *lab.override_->until);
}

nlohmann::json ToJson(const deploy::LabPolicyState& lab, schedule::TimePoint now) {
  nlohmann::json row = {{"lab", lab.lab},
                        {"open", lab.state.open},
                        {"until", nullptr},
                        {"until_local", nullptr},
                        {"why", lab.state.why},
                        {"timezone", lab.timezone},
                        {"override", nullptr},
                        {"idle_after", nullptr}};
  if (lab.state.until) {
    row["until"] = schedule::FormatUtc(*lab.state.until);
    row["until_local"] = schedule::FormatForStudent(*lab.state.until, lab.timezone, now);
  }
  if (OverrideInForce(lab, now)) {
    const schedule::Override& o = *lab.override_;
    row["override"] = {{"state", o.open ? "open" : "closed"},
                       {"until", o.until ? nlohmann::json(schedule::FormatUtc(*o.until))
                                         : nlohmann::json(nullptr)},
                       {"actor", o.who},
                       {"at", schedule::FormatUtc(o.when)}};
  }
  if (lab.policy.idle) row["idle_after"] = lab.policy.idle->after_minutes;
  return row;
}

}  // namespace

void SwitchLab(store::Store& store, const LabSwitchRequest& request, schedule::TimePoint now,
               std::ostream& out) {
  const std::string name = deploy::ResolveLabName(request.lab);
  // Read first: an unknown lab or a bad --until changes nothing.
  deploy::LabPolicyState before = deploy::ReadLabPolicy(store, name, now);
  std::string detail;
  store.InTransaction([&] {
    if (request.what == LabSwitch::kFollowSchedule) {
      detail = store.ClearLabOverride(name) ? "override dropped" : "no override";
    } else {
      schedule::Override o;
      o.open = request.what == LabSwitch::kOpen;
      if (request.until) o.until = schedule::ParseWhen(*request.until, before.timezone, now);
      o.who = request.actor;
      o.when = now;
      store.SetLabOverride(deploy::ToRecord(name, o));
      detail = o.until ? "until " + schedule::FormatIn(*o.until, before.timezone, "%F %H:%M %Z")
                       : "until changed again";
    }
    store::Event event;
    event.uid = request.uid;
    event.actor = request.actor;
    event.action = ActionOf(request.what);
    event.target = name;
    event.result = "ok";
    event.detail = detail;
    store.AddEvent(event);
  });
  deploy::LabPolicyState after = deploy::ReadLabPolicy(store, name, now);
  out << "Lab '" << name << "' is " << Sentence(after, now) << ".\n";
}

void ShowLabState(store::Store& store, const std::optional<std::string>& lab, bool json,
                  schedule::TimePoint now, std::ostream& out) {
  std::vector<deploy::LabPolicyState> labs;
  if (lab) {
    labs.push_back(deploy::ReadLabPolicy(store, deploy::ResolveLabName(*lab), now));
  } else {
    for (const store::LabRecord& record : store.Labs()) {
      labs.push_back(deploy::ReadLabPolicy(store, record.name, now));
    }
  }
  if (json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const deploy::LabPolicyState& l : labs) rows.push_back(ToJson(l, now));
    out << rows.dump(2) << "\n";
    return;
  }
  if (labs.empty()) {
    out << "No lab is deployed.\n";
    return;
  }
  Table table({"LAB", "STATE", "UNTIL", "WHY"});
  for (const deploy::LabPolicyState& l : labs) {
    table.AddRow({l.lab, l.state.open ? "open" : "closed",
                  l.state.until ? schedule::FormatForStudent(*l.state.until, l.timezone, now)
                                : "-",
                  l.state.why});
  }
  table.Print(out);
}

}  // namespace cli
