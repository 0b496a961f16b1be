// `worlds events`: the audit trail as a table or JSON.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "store/store.h"

namespace cli {

struct EventsRequest {
  std::optional<std::string> owner;  // by or about this user (store::EventFilter)
  // As the user typed it (shown in "No events since ..."), and as ParseSince
  // read it (what the store compares).
  std::optional<std::string> since_text;
  std::optional<std::string> since;
  int limit = 50;
  bool json = false;
};

// Prints the matching events, oldest first: a table whose columns are as
// wide as their content, or a JSON array. Throws core::Error from the store.
void ShowEvents(store::Store& store, const EventsRequest& request, std::ostream& out);

}  // namespace cli
