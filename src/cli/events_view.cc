#include "cli/events_view.h"

#include <vector>

#include <nlohmann/json.hpp>

#include "cli/table.h"

namespace cli {

void ShowEvents(store::Store& store, const EventsRequest& request, std::ostream& out) {
  store::EventFilter filter;
  filter.actor = request.owner;
  filter.since = request.since;
  filter.limit = request.limit;
  std::vector<store::Event> events = store.Events(filter);
  if (request.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const store::Event& e : events) {
      rows.push_back({{"id", e.id}, {"at", e.at}, {"uid", e.uid}, {"actor", e.actor},
                      {"action", e.action}, {"target", e.target}, {"result", e.result},
                      {"detail", e.detail}});
    }
    out << rows.dump(2) << "\n";
    return;
  }
  if (events.empty()) {
    out << "No events" << (request.owner ? " for '" + *request.owner + "'" : "")
        << (request.since_text ? " since " + *request.since_text : "") << ".\n";
    return;
  }
  Table table({"AT", "UID", "ACTOR", "ACTION", "TARGET", "RESULT", "DETAIL"});
  for (const store::Event& e : events) {
    table.AddRow({e.at, std::to_string(e.uid), e.actor, e.action, e.target, e.result, e.detail});
  }
  table.Print(out);
}

}  // namespace cli
