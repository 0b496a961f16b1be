#include "core/lab.h"

#include <algorithm>

namespace core {

std::string SourcePos::ToString() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

namespace {
template <typename T>
const T* FindByName(const std::vector<T>& items, const std::string& name) {
  auto it = std::find_if(items.begin(), items.end(),
                         [&](const T& item) { return item.name == name; });
  return it == items.end() ? nullptr : &*it;
}
}  // namespace

const BaseImage* Lab::FindImage(const std::string& name) const {
  return FindByName(images, name);
}
const LabNetwork* Lab::FindNetwork(const std::string& name) const {
  return FindByName(networks, name);
}
const LabVm* Lab::FindVm(const std::string& name) const {
  return FindByName(vms, name);
}

}  // namespace core
