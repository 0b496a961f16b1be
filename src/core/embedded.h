// Files from db/, templates/ and pdmenu/, compiled into the binary.
#pragma once

#include <optional>
#include <string_view>

namespace core {

// Returns the text of `path` (relative to the source root, e.g.
// "templates/domain.xml"), or nullopt when no such file was embedded.
std::optional<std::string_view> EmbeddedFile(std::string_view path);

}  // namespace core
