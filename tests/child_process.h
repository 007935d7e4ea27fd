// Runs a check in a forked child, for tests that change process-wide state for good (resource
// limits, capabilities). The child reports through a pipe; the parent gets its exit code and text.
#pragma once

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <string>

namespace mlx::core::testing_child {

struct ChildResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string report;
};

// body writes what it found into `report` and returns the exit code; an exception is exit code 99
// with its message.
inline ChildResult run_in_child(const std::function<int(std::string& report)>& body) {
  int fds[2];
  if (pipe(fds) != 0) {
    return {-1, "pipe failed"};
  }
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string report;
    int code;
    try {
      code = body(report);
    } catch (const std::exception& e) {
      report = std::string("unexpected exception: ") + e.what();
      code = 99;
    }
    size_t off = 0;
    while (off < report.size()) {
      ssize_t n = write(fds[1], report.data() + off, report.size() - off);
      if (n <= 0) {
        break;
      }
      off += static_cast<size_t>(n);
    }
    _exit(code);
  }
  close(fds[1]);
  ChildResult result;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
    result.report.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Makes this process an ordinary one for mlock: RLIMIT_MEMLOCK lowered to `bytes` and
// CAP_IPC_LOCK dropped (root keeps its other capabilities). Returns false when it cannot.
inline bool restrict_memlock(size_t bytes) {
  rlimit rl{bytes, bytes};
  if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) {
    return false;
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) {
    return false;
  }
  const unsigned bit = 1u << (CAP_IPC_LOCK % 32);
  data[CAP_IPC_LOCK / 32].effective &= ~bit;
  data[CAP_IPC_LOCK / 32].permitted &= ~bit;
  data[CAP_IPC_LOCK / 32].inheritable &= ~bit;
  return syscall(SYS_capset, &header, data) == 0;
}

}  // namespace mlx::core::testing_child
