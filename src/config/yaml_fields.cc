#include "config/yaml_fields.h"

#include <algorithm>

#include "core/names.h"

namespace config::internal {

core::SourcePos Reporter::Pos(const YAML::Node& node,
                              const core::SourcePos& fallback) const {
  // yaml-cpp marks are 0-based and -1 when unknown; users count from 1.
  YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) {
    core::SourcePos pos = fallback;
    pos.file = file_;
    return pos;
  }
  return core::SourcePos{file_, mark.line + 1, mark.column + 1};
}

void Reporter::Error(const core::SourcePos& pos, std::string message) {
  out_->push_back(Diagnostic{pos, std::move(message)});
}

std::string KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a string";
    default:
      return "nothing";
  }
}

namespace {
std::string JoinQuoted(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}
}  // namespace

Fields::Fields(const YAML::Node& map, Reporter* reporter)
    : map_(map), reporter_(reporter) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    Entry entry;
    entry.key_node = it->first;
    entry.value = it->second;
    if (it->first.IsScalar()) entry.key = it->first.Scalar();
    entries_.push_back(entry);
  }
}

void Fields::Check(const std::vector<std::string>& allowed,
                   const std::string& where) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& entry = entries_[i];
    if (!entry.key_node.IsScalar()) {
      reporter_->Error(entry.key_node, "a key in " + where +
                                           " must be a string, not " +
                                           KindName(entry.key_node));
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), entry.key) == allowed.end()) {
      std::string hint = core::Spellcheck(entry.key, allowed);
      reporter_->Error(
          entry.key_node,
          "unknown key '" + entry.key + "' in " + where +
              (hint.empty() ? " (allowed: " + JoinQuoted(allowed) + ")"
                            : " (did you mean '" + hint + "'?)"));
      continue;
    }
    // yaml-cpp keeps both entries of a repeated key; only the first counts.
    for (size_t j = 0; j < i; ++j) {
      if (entries_[j].key_node.IsScalar() && entries_[j].key == entry.key) {
        reporter_->Error(
            entry.key_node,
            "duplicate key '" + entry.key + "' in " + where +
                " (first given at line " +
                std::to_string(reporter_->Pos(entries_[j].key_node).line) +
                ")");
        break;
      }
    }
  }
}

const Fields::Entry* Fields::Find(const std::string& key) const {
  for (const Entry& entry : entries_) {
    if (entry.key_node.IsScalar() && entry.key == key) return &entry;
  }
  return nullptr;
}

core::SourcePos Fields::ValuePos(const std::string& key) const {
  const Entry* entry = Find(key);
  if (!entry) return reporter_->Pos(map_);
  // An empty value's mark is wherever the parser stopped: show the key.
  if (entry->value.IsNull()) return reporter_->Pos(entry->key_node);
  return reporter_->Pos(entry->value, reporter_->Pos(entry->key_node));
}

std::optional<std::string> Fields::String(const std::string& key, bool required,
                                          const std::string& where,
                                          const std::string& expected) {
  const Entry* entry = Find(key);
  if (!entry) {
    if (required) {
      reporter_->Error(map_, "missing required key '" + key + "' in " + where);
    }
    return std::nullopt;
  }
  if (entry->value.IsScalar()) return entry->value.Scalar();
  if (entry->value.IsNull()) {
    reporter_->Error(ValuePos(key), "'" + key + "' in " + where +
                                        " has no value: expected " + expected);
  } else {
    reporter_->Error(ValuePos(key), "'" + key + "' in " + where + " must be " +
                                        expected + ", not " +
                                        KindName(entry->value));
  }
  return std::nullopt;
}

std::optional<YAML::Node> Fields::List(const std::string& key, bool required,
                                       const std::string& where) {
  const Entry* entry = Find(key);
  if (!entry) {
    if (required) {
      reporter_->Error(map_, "missing required key '" + key + "' in " + where);
    }
    return std::nullopt;
  }
  if (entry->value.IsSequence()) return entry->value;
  if (entry->value.IsNull()) return YAML::Node(YAML::NodeType::Sequence);
  reporter_->Error(ValuePos(key), "'" + key + "' in " + where +
                                      " must be a list, not " +
                                      KindName(entry->value));
  return std::nullopt;
}

}  // namespace config::internal
