#include "fakes/fake_env.h"

#include "fakes/shared_fakes.h"

namespace fakes {

guest::OsInfo BusyboxGuest() {
  guest::OsInfo os;
  os.type = "linux";
  os.distro = "busybox";
  os.product_name = "tiny busybox";
  os.mounts = {{"/", "/dev/sda"}};
  os.init = "busybox";
  os.network_stacks = {guest::kBusybox};
  os.network_stack = guest::kBusybox;
  os.first_boot_runner = "rcS";
  os.serial_console = true;
  return os;
}

FakeEnv::FakeEnv() : os(BusyboxGuest()) {
  disks->Attach(hypervisor);
  env.hypervisor = [this]() -> std::unique_ptr<virt::Hypervisor> {
    std::lock_guard<std::mutex> lock(hypervisor_mu_);
    ++connections_;
    return std::make_unique<SharedHypervisor>(hypervisor, hypervisor_mu_);
  };
  env.customizer = [this]() -> std::unique_ptr<guest::Customizer> {
    return std::make_unique<SharedCustomizer>(customizer, customizer_mu_);
  };
  env.inspect_images = [this](const std::vector<guest::ImageRef>& images) {
    std::vector<std::string> paths;
    for (const guest::ImageRef& image : images) paths.push_back(image.path);
    inspected.push_back(paths);
    return std::vector<guest::OsInfo>(images.size(), os);
  };
  env.launch_worker = workers.Launcher();
  env.disks = disks;
  // Every "host" is this one fake: its disks and in-process workers.
  env.reach_host = [this](const std::string& uri, const std::string&) {
    deploy::HostAccess access;
    access.disks = disks;
    access.launch_worker = workers.Launcher();
    access.worker_connect = uri;
    return access;
  };
}

}  // namespace fakes
