#include "config/lab_parser.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/lab_values.h"
#include "config/nic_fields.h"
#include "config/schedule_fields.h"
#include "config/world_check.h"
#include "config/yaml_aliases.h"
#include "config/yaml_fields.h"
#include "core/names.h"

namespace config {

namespace {

namespace fs = std::filesystem;
using internal::Fields;
using internal::KindName;

const std::vector<std::string> kLabKeys = {
    "lab",      "description",   "images",   "networks",
    "vms",      "schedule",      "idle-shutdown", "cpu-limit"};
const std::vector<std::string> kImageKeys = {"name",   "file",   "format",
                                             "kernel", "initrd", "cmdline"};
const std::vector<std::string> kNetworkKeys = {"name", "cidr"};
const std::vector<std::string> kVmKeys = {
    "name", "image", "memory", "vcpus", "hostname", "nics", "commands"};
const std::vector<std::string> kNicKeys = {"network", "ip", "gateway", "dns"};

constexpr int kMinMemoryMib = 64;
constexpr int kMaxMemoryMib = 65536;
constexpr int kMaxVcpus = 64;

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

// "(did you mean 'x'?)" or "(known images: a, b)".
std::string UnknownHint(const std::string& word,
                        const std::vector<std::string>& known,
                        const std::string& kind) {
  std::string close = core::Spellcheck(word, known);
  if (!close.empty()) return " (did you mean '" + close + "'?)";
  if (known.empty()) return " (the lab defines no " + kind + ")";
  return " (known " + kind + ": " + Join(known) + ")";
}

// Reads one lab document into a core::Lab, reporting as it goes. The Lab is
// filled as far as the input allows, so later checks (references, patterns)
// still run when an earlier part was wrong.
class LabReader {
 public:
  LabReader(const std::string& file, const std::string& image_dir,
            Diagnostics* out)
      : reporter_(file, out), out_(out), image_dir_(image_dir) {
    lab_dir_ = fs::path(file).parent_path().string();
  }

  core::Lab Read(const YAML::Node& root) {
    lab_.source_file = reporter_.file();
    core::SourcePos top{reporter_.file(), 1, 1};
    if (!root.IsMap()) {
      reporter_.Error(root.IsNull() ? top : reporter_.Pos(root, top),
                      "a lab must be a mapping with keys lab, images and vms, "
                      "not " +
                          (root.IsNull() ? std::string("an empty document")
                                         : KindName(root)));
      return lab_;
    }
    Fields fields(root, &reporter_);
    const std::string where = "the lab";
    fields.Check(kLabKeys, where);
    if (auto name = fields.String("lab", true, where)) {
      lab_.name = *name;
      if (!core::IsValidName(*name)) {
        reporter_.Error(
            fields.ValuePos("lab"),
            "lab name '" + *name + "' is invalid: must be " + core::kNameRule);
      }
    }
    if (auto text = fields.String("description", false, where)) {
      lab_.description = *text;
    }
    if (auto list = fields.List("images", true, where)) {
      ReadList(*list, fields, "images", "image", &LabReader::ReadImage);
    }
    if (auto list = fields.List("networks", false, where)) {
      for (size_t i = 0; i < list->size(); ++i) ReadNetwork((*list)[i], i + 1);
    }
    if (auto list = fields.List("vms", true, where)) {
      ReadList(*list, fields, "vms", "vm", &LabReader::ReadVm);
    }
    internal::ReadSchedule(fields, &reporter_, &lab_);
    internal::ReadIdleShutdown(fields, &reporter_, &lab_);
    ReadCpuLimit(fields, where);
    CheckReferences();
    internal::CheckWorld(lab_, core::World{lab_.name, "student", 1},
                         /*sample=*/true, hostname_pos_, out_);
    return lab_;
  }

 private:
  void ReadCpuLimit(Fields& fields, const std::string& where) {
    const std::string rule =
        "a number of host CPUs from 0.01 to 1024 with at most two decimals (e.g. 1.5)";
    std::optional<std::string> text = fields.String("cpu-limit", false, where, rule);
    if (!text) return;
    std::optional<int> percent = ParseCpuPercent(*text);
    if (!percent || *percent < 1) {
      reporter_.Error(fields.ValuePos("cpu-limit"),
                      "'cpu-limit' in the lab must be " + rule + ", not '" + *text + "'");
      return;
    }
    lab_.cpu_limit = core::CpuLimit{*percent, fields.ValuePos("cpu-limit")};
  }

  void ReadList(const YAML::Node& list, const Fields& parent,
                const std::string& key, const std::string& kind,
                void (LabReader::*read)(const YAML::Node&, size_t)) {
    if (list.size() == 0) {
      reporter_.Error(parent.ValuePos(key),
                      "'" + key + "' must list at least one " + kind);
    }
    for (size_t i = 0; i < list.size(); ++i) (this->*read)(list[i], i + 1);
  }

  // Checks that an entry is a mapping and names it for messages: "vm
  // 'router'" when it has a scalar name, "vm #2" otherwise.
  std::optional<std::string> EntryName(const YAML::Node& node,
                                       const std::string& kind, size_t n) {
    if (!node.IsMap()) {
      reporter_.Error(node, kind + " #" + std::to_string(n) +
                                " must be a mapping, not " + KindName(node));
      return std::nullopt;
    }
    // Searched by iteration: operator[] may add the key to a mutable node
    // and returns a node that throws on use when the key is missing.
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "name" &&
          it->second.IsScalar()) {
        return kind + " '" + it->second.Scalar() + "'";
      }
    }
    return kind + " #" + std::to_string(n);
  }

  // The entry's name when it is new (an invalid one too, so that references
  // to it are not reported twice); nullopt when missing or a duplicate.
  std::optional<std::string> ReadName(Fields& fields, const std::string& kind,
                                      const std::string& where,
                                      std::map<std::string, int>* seen) {
    std::optional<std::string> name = fields.String("name", true, where);
    if (!name) return std::nullopt;
    core::SourcePos pos = fields.ValuePos("name");
    auto [it, inserted] = seen->emplace(*name, pos.line);
    if (!inserted) {
      reporter_.Error(pos, "duplicate " + kind + " name '" + *name +
                               "' (first defined at line " +
                               std::to_string(it->second) + ")");
      return std::nullopt;
    }
    if (!core::IsValidName(*name)) {
      reporter_.Error(pos, kind + " name '" + *name + "' is invalid: must be " +
                               core::kNameRule);
    }
    return name;
  }

  void ReadImage(const YAML::Node& node, size_t n) {
    std::optional<std::string> where = EntryName(node, "image", n);
    if (!where) return;
    Fields fields(node, &reporter_);
    fields.Check(kImageKeys, *where);
    core::BaseImage image;
    image.pos = reporter_.Pos(node);
    std::optional<std::string> name =
        ReadName(fields, "image", *where, &image_lines_);
    if (auto format = fields.String("format", false, *where, "qcow2 or raw")) {
      image.format = *format;
      if (*format != "qcow2" && *format != "raw") {
        reporter_.Error(fields.ValuePos("format"),
                        "'format' in " + *where +
                            " must be qcow2 or raw, not '" + *format + "'");
      }
    }
    if (auto file = fields.String("file", true, *where)) {
      image.path = Resolve(fields, "file", *file, *where);
    }
    std::optional<std::string> kernel = fields.String("kernel", false, *where);
    if (kernel) image.kernel = Resolve(fields, "kernel", *kernel, *where);
    for (const char* key : {"initrd", "cmdline"}) {
      std::optional<std::string> value = fields.String(key, false, *where);
      if (!value) continue;
      if (!fields.Find("kernel")) {
        reporter_.Error(fields.ValuePos(key),
                        std::string("'") + key + "' in " + *where +
                            " needs 'kernel': it only applies to direct "
                            "kernel boot");
      } else if (std::string(key) == "initrd") {
        image.initrd = Resolve(fields, key, *value, *where);
      } else {
        image.cmdline = *value;
      }
    }
    if (name) {
      image.name = *name;
      lab_.images.push_back(image);
    }
  }

  // An existing file's absolute path; reports where it looked otherwise.
  std::string Resolve(const Fields& fields, const std::string& key,
                      const std::string& file, const std::string& where) {
    core::SourcePos pos = fields.ValuePos(key);
    if (file.empty()) {
      reporter_.Error(
          pos, "'" + key + "' in " + where + " is empty: expected a path");
      return {};
    }
    internal::ResolvedFile found =
        internal::ResolveFile(file, image_dir_, lab_dir_);
    if (found.path.empty()) {
      reporter_.Error(
          pos, key + " '" + file + "' of " + where + " " + found.problem);
    }
    return found.path;
  }

  void ReadNetwork(const YAML::Node& node, size_t n) {
    std::optional<std::string> where = EntryName(node, "network", n);
    if (!where) return;
    Fields fields(node, &reporter_);
    fields.Check(kNetworkKeys, *where);
    core::LabNetwork net;
    net.pos = reporter_.Pos(node);
    std::optional<std::string> name =
        ReadName(fields, "network", *where, &network_lines_);
    if (auto cidr = fields.String("cidr", true, *where,
                                  "an IPv4 network such as 10.10.0.0/24")) {
      net.cidr = *cidr;
      if (auto problem = internal::CheckCidr(*where, &net)) {
        reporter_.Error(fields.ValuePos("cidr"), *problem);
      }
    }
    if (name) {
      net.name = *name;
      lab_.networks.push_back(net);
    }
  }

  void ReadVm(const YAML::Node& node, size_t n) {
    std::optional<std::string> where = EntryName(node, "vm", n);
    if (!where) return;
    Fields fields(node, &reporter_);
    fields.Check(kVmKeys, *where);
    core::LabVm vm;
    vm.pos = reporter_.Pos(node);
    std::optional<std::string> name =
        ReadName(fields, "vm", *where, &vm_lines_);
    if (auto image = fields.String("image", true, *where)) {
      vm.image = *image;
      image_refs_.push_back({*image, fields.ValuePos("image"), *where});
    }
    const std::string memory_rule =
        "a size from 64 to 65536 MiB, as a number of MiB or with unit M, "
        "MiB, G or GiB (e.g. 512M, 1G)";
    if (auto memory = fields.String("memory", false, *where, memory_rule)) {
      std::optional<int> mib = ParseMemoryMib(*memory);
      if (!mib || *mib < kMinMemoryMib || *mib > kMaxMemoryMib) {
        reporter_.Error(fields.ValuePos("memory"),
                        "'memory' in " + *where + " must be " + memory_rule +
                            ", not '" + *memory + "'");
      } else {
        vm.memory_mib = *mib;
      }
    }
    const std::string vcpus_rule = "an integer from 1 to 64";
    if (auto vcpus = fields.String("vcpus", false, *where, vcpus_rule)) {
      std::optional<int> count = ParseSmallInt(*vcpus);
      if (!count || *count < 1 || *count > kMaxVcpus) {
        reporter_.Error(fields.ValuePos("vcpus"), "'vcpus' in " + *where +
                                                      " must be " + vcpus_rule +
                                                      ", not '" + *vcpus + "'");
      } else {
        vm.vcpus = *count;
      }
    }
    vm.hostname_pattern = "{vm}";
    if (auto hostname = fields.String("hostname", false, *where)) {
      vm.hostname_pattern = *hostname;
    }
    if (auto nics = fields.List("nics", false, *where)) {
      for (size_t i = 0; i < nics->size(); ++i) {
        ReadNic((*nics)[i], "nic " + std::to_string(i + 1) + " of " + *where,
                &vm);
      }
    }
    if (auto commands = fields.List("commands", false, *where)) {
      for (size_t i = 0; i < commands->size(); ++i) {
        YAML::Node command = (*commands)[i];
        if (command.IsScalar()) {
          vm.commands.push_back(command.Scalar());
          continue;
        }
        reporter_.Error(reporter_.Pos(command, fields.ValuePos("commands")),
                        "command " + std::to_string(i + 1) + " in " + *where +
                            " must be a string, not " + KindName(command) +
                            " (quote a command that contains ': ')");
      }
    }
    if (name) {
      vm.name = *name;
      hostname_pos_[vm.name] =
          fields.Find("hostname") ? fields.ValuePos("hostname") : vm.pos;
      lab_.vms.push_back(vm);
    }
  }

  void ReadNic(const YAML::Node& node, const std::string& where,
               core::LabVm* vm) {
    if (!node.IsMap()) {
      reporter_.Error(node, where +
                                " must be a mapping with keys network and "
                                "ip, not " +
                                KindName(node));
      return;
    }
    Fields fields(node, &reporter_);
    fields.Check(kNicKeys, where);
    core::Nic nic;
    std::optional<std::string> network = fields.String("network", true, where);
    std::optional<std::string> ip = fields.String("ip", true, where);
    if (network) {
      nic.network = *network;
      network_refs_.push_back({*network, fields.ValuePos("network"), where});
    }
    internal::ReadGateway(fields, where,
                          network ? lab_.FindNetwork(*network) : nullptr,
                          &reporter_, &nic);
    internal::ReadDns(fields, where, &reporter_, &nic);
    if (!ip) return;
    nic.ip_pattern = *ip;
    nic.pos = fields.ValuePos("ip");
    vm->nics.push_back(nic);
  }

  static std::optional<int> ParseSmallInt(const std::string& text) {
    if (text.empty() || text.size() > 6 ||
        !std::all_of(text.begin(), text.end(), ::isdigit)) {
      return std::nullopt;
    }
    return std::stoi(text);
  }

  // Reports references to images and networks the lab does not define.
  void CheckReferences() {
    std::vector<std::string> images, networks;
    for (const auto& [name, line] : image_lines_) images.push_back(name);
    for (const auto& [name, line] : network_lines_) networks.push_back(name);
    for (const Reference& ref : image_refs_) {
      if (image_lines_.count(ref.name)) continue;
      reporter_.Error(ref.pos, ref.where + " uses unknown image '" + ref.name +
                                   "'" +
                                   UnknownHint(ref.name, images, "images"));
    }
    for (const Reference& ref : network_refs_) {
      if (network_lines_.count(ref.name)) continue;
      reporter_.Error(ref.pos, ref.where + " uses unknown network '" +
                                   ref.name + "'" +
                                   UnknownHint(ref.name, networks, "networks"));
    }
  }

  struct Reference {
    std::string name;
    core::SourcePos pos;
    std::string where;
  };

  internal::Reporter reporter_;
  Diagnostics* out_ = nullptr;
  std::string image_dir_;
  std::string lab_dir_;  // as in the file name; may be relative or empty
  core::Lab lab_;
  // name -> line of its first definition
  std::map<std::string, int> image_lines_, network_lines_, vm_lines_;
  std::vector<Reference> image_refs_, network_refs_;
  internal::HostnamePositions hostname_pos_;
};

}  // namespace

LabParseResult ParseLab(const std::string& text, const std::string& file_name,
                        const std::string& image_dir) {
  LabParseResult result;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // A syntax error hides everything after it: it is the one diagnostic.
    core::SourcePos pos{file_name, e.mark.line + 1, e.mark.column + 1};
    if (e.mark.is_null()) pos = {file_name, 1, 1};
    result.errors.push_back({pos, "YAML syntax error: " + e.msg});
    return result;
  }
  if (std::optional<YAML::Mark> alias = internal::FirstAlias(text)) {
    result.errors.push_back({{file_name, alias->line + 1, alias->column + 1},
                             "YAML aliases (*name) are not supported in a lab: write "
                             "the value out in full"});
    return result;
  }
  core::Lab lab;
  try {
    lab = LabReader(file_name, image_dir, &result.errors).Read(root);
  } catch (const YAML::Exception& e) {
    // The reader avoids yaml-cpp's throwing accessors; should one slip
    // through, the user still gets a diagnostic rather than a crash.
    result.errors.push_back(
        {{file_name, 1, 1}, "cannot read lab: " + std::string(e.what())});
  }
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::make_pair(a.pos.line, a.pos.col) <
                            std::make_pair(b.pos.line, b.pos.col);
                   });
  if (result.errors.empty()) result.lab = std::move(lab);
  return result;
}

LabParseResult ParseLabFile(const std::string& path,
                            const std::string& image_dir) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    LabParseResult result;
    result.errors.push_back(
        {{path, 0, 0},
         "cannot read lab file: " + std::string(std::strerror(errno))});
    return result;
  }
  return ParseLab(text.str(), path, image_dir);
}

}  // namespace config
