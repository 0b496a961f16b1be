// Fuzz target: lab YAML text through config::ParseLab (parse + validate),
// then, for a lab it accepts, CheckWorlds and the command expansion a deploy
// runs next. A thrown core::Error is a normal outcome; any other exception,
// a crash, a sanitizer report, a leak or a hang is a bug. Invariants checked
// (abort when broken):
//   - a lab comes back exactly when there are no diagnostics;
//   - every diagnostic names the file, a line and column >= 1, and says
//     something; diagnostics are sorted by (line, col);
//   - an accepted lab has a valid name, images and VMs, and every VM uses a
//     defined image.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "config/lab_parser.h"
#include "core/error.h"
#include "core/names.h"
#include "fuzz_check.h"

namespace {

namespace fs = std::filesystem;

// Image files the labs may name, so that inputs can get past the file
// checks: the seeds (labs/*.yaml) use tiny.qcow2, tiny.vmlinuz and
// tiny.initrd. Made once per process in a private temporary directory and
// removed at exit.
class ImageDir {
 public:
  ImageDir() {
    std::string pattern =
        (fs::temp_directory_path() / "worlds-fuzz-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = pattern;
    for (const char* name :
         {"tiny.qcow2", "tiny.vmlinuz", "tiny.initrd", "disk.qcow2", "disk.img"}) {
      std::ofstream(fs::path(path_) / name) << "not an image\n";
    }
  }
  ~ImageDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const ImageDir& Images() {
  static const ImageDir dir;
  return dir;
}

// The lab's name as if it sat in a labs/ directory that does not exist:
// relative files are looked up in the image directory first, then there.
constexpr const char* kFileName = "fuzz-labs/lab.yaml";

void CheckDiagnostics(const config::Diagnostics& errors) {
  for (size_t i = 0; i < errors.size(); ++i) {
    const config::Diagnostic& d = errors[i];
    FUZZ_CHECK(d.pos.file == kFileName);
    FUZZ_CHECK(d.pos.line >= 1);
    FUZZ_CHECK(d.pos.col >= 1);
    FUZZ_CHECK(!d.message.empty());
    if (i > 0) {
      const core::SourcePos& prev = errors[i - 1].pos;
      FUZZ_CHECK(std::make_pair(prev.line, prev.col) <=
                 std::make_pair(d.pos.line, d.pos.col));
    }
  }
}

void CheckAcceptedLab(const core::Lab& lab) {
  FUZZ_CHECK(core::IsValidName(lab.name));
  FUZZ_CHECK(!lab.images.empty());
  FUZZ_CHECK(!lab.vms.empty());
  for (const core::BaseImage& image : lab.images) {
    FUZZ_CHECK(fs::path(image.path).is_absolute());
    FUZZ_CHECK(image.format == "qcow2" || image.format == "raw");
  }
  for (const core::LabVm& vm : lab.vms) {
    FUZZ_CHECK(lab.FindImage(vm.image) != nullptr);
    FUZZ_CHECK(vm.memory_mib >= 64 && vm.memory_mib <= 65536);
    FUZZ_CHECK(vm.vcpus >= 1 && vm.vcpus <= 64);
    for (const core::Nic& nic : vm.nics) {
      FUZZ_CHECK(lab.FindNetwork(nic.network) != nullptr);
    }
  }
  // What a deploy to a roster does next. Two Worlds per owner pattern: the
  // sample owner passed at parse time, and others that may not fit.
  const std::vector<core::World> worlds = {
      {lab.name, "student", 1}, {lab.name, "alice", 2},
      {lab.name, "a-very-long-user-name-of-thirty2", 254}, {lab.name, "bob", 300}};
  config::Diagnostics per_world = config::CheckWorlds(lab, worlds);
  for (const config::Diagnostic& d : per_world) FUZZ_CHECK(!d.message.empty());
  for (const core::LabVm& vm : lab.vms) {
    auto vars = config::PatternVars(lab, worlds[1], vm.name);
    std::vector<std::string> commands = config::ExpandCommands(vm.commands, vars);
    FUZZ_CHECK(commands.size() == vm.commands.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const ImageDir& images = Images();
  try {
    config::LabParseResult result = config::ParseLab(text, kFileName, images.path());
    FUZZ_CHECK(result.lab.has_value() == result.errors.empty());
    CheckDiagnostics(result.errors);
    if (result.lab) CheckAcceptedLab(*result.lab);
  } catch (const core::Error&) {
    // The documented way to refuse; anything else escapes and aborts.
  }
  return 0;
}
