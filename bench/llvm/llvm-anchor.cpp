// jitmem-llvm-anchor: LLVM 19's own MemoryMapper family, measured the way bench/ measures jitmem, so that every
// ratio in bench/README.md can be reproduced from this repository alone. Built against the system's libLLVM-19
// (Debian's llvm-19-dev) by build.sh; nothing of LLVM is copied here.
//
//   jitmem-llvm-anchor rpc   [--dispatcher=D] [--reps=N] [--rep-seconds=S]
//   jitmem-llvm-anchor cycle [--mappers=inproc,shm] [--sizes=4KiB,...] [--prot=rw|rx] [--reps=N] [--rep-seconds=S]
//   jitmem-llvm-anchor slab  [--managers=inproc,shm] [--allocs=N] [--size=4KiB] [--prot=rw|rx] [--reps=N]
//   jitmem-llvm-anchor link  [--managers=inproc,shm] --objects=a.o,b.o,... --symbols=f,g,... [--reps=N]
//   jitmem-llvm-anchor cycle|slab --mappers=tcp [--listen-port=P] [--connect=HOST:PORT] ...
//
// rpc    one empty wrapper-function call to llvm-jitlink-executor and its reply (the transport's floor).
// cycle  the bare mapper: reserve, prepare + copy of the content, initialize with one segment, deinitialize,
//        release; InProcessMemoryMapper, and SharedMemoryMapper over a real llvm-jitlink-executor process.
// slab   MapperJITLinkMemoryManager with 64 MiB slabs over either mapper: N allocations of one segment, each
//        allocated, written in full and finalized; a cold round on a fresh manager, then a warm round that
//        reuses the ranges the cold round freed (the batched deallocation between them is timed apart).
// link   JITLink: ObjectLinkingLayer over MapperJITLinkMemoryManager (64 MiB slabs) over either mapper, unwind tables
//        registered, symbols resolved in the executor: every object added to a fresh resource tracker and
//        materialized by one lookup of the symbols (link, load and finalize), then the tracker removed (unload).
//
// tcp    llvm-jitlink-executor started with listen=127.0.0.1:P, reached over TCP (directly, or through whatever
//        --connect names, e.g. a delaying proxy in front of P), with LLVM's generic memory manager for remote
//        executors (EPCGenericJITLinkMemoryManager, SimpleRemoteEPC's default): the content travels in the finalize
//        request, as jitmem's copying backend sends it. LLVM has no bare remote MemoryMapper, so the cycle here is the
//        manager's: allocate (reserve), write, finalize, deallocate; the slab benchmark uses the same manager, which
//        reserves for every allocation (LLVM's remote slab would need a mapper it does not have). No TLS: LLVM has none.
//        As shipped, neither end sets TCP_NODELAY, and a call costs about 90 ms here: the transport writes a message's
//        header and body apart, and Nagle's algorithm holds the body until the peer's delayed acknowledgement. That
//        measures the kernel's timers, not LLVM, so by default both ends set TCP_NODELAY: this process itself, the
//        executor through nodelay-preload.so (built beside this program; it sets the option on accepted sockets).
//        --tcp-nodelay=0 measures LLVM as shipped.
//
// Each configuration prints one line "RESULT key=value ...": medians and 90th percentiles of the wall time per
// operation in microseconds, and the processor time per operation of the controller (this process: getrusage,
// every thread, exited ones included) plus the executor (utime + stime of /proc/<pid>/stat, every thread, exited
// ones included), taken over the measured repetitions only.
//
// What LLVM 19 makes the measurement take care of:
// - SharedMemoryMapper neither rounds a reservation up to pages nor tells the executor when it is destroyed: the
//   executor keeps every reservation until the controller disconnects. The cycle rounds sizes itself; the slab
//   benchmark starts a fresh executor for every manager, or the executor would keep each 64 MiB slab (and every
//   page written into it) until the end of the run.
// - InProcessMemoryMapper files allocations made inside a slab under their own address instead of under the slab,
//   and its destructor releases what it still holds with cantFail. Every allocation is therefore deallocated before
//   a manager is destroyed; the entries it leaves behind are then empty and the destructor finds nothing to undo.
// - Every remote call starts a thread in the executor, and one in the controller with the dynamic dispatcher that
//   llvm-jitlink uses; the processor time per operation shows that cost, the wall time the wake-ups.

#include "llvm/ExecutionEngine/JITLink/JITLinkMemoryManager.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/EPCDynamicLibrarySearchGenerator.h"
#include "llvm/ExecutionEngine/Orc/EPCEHFrameRegistrar.h"
#include "llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h"
#include "llvm/ExecutionEngine/Orc/MapperJITLinkMemoryManager.h"
#include "llvm/ExecutionEngine/Orc/MemoryMapper.h"
#include "llvm/ExecutionEngine/Orc/Shared/OrcRTBridge.h"
#include "llvm/ExecutionEngine/Orc/Shared/SimpleRemoteEPCUtils.h"
#include "llvm/ExecutionEngine/Orc/SimpleRemoteEPC.h"
#include "llvm/ExecutionEngine/Orc/TaskDispatch.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <sstream>
#include <thread>
#include <string>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace llvm;
using namespace llvm::orc;
using Clock = std::chrono::steady_clock;

namespace {

ExitOnError ExitOnErr("jitmem-llvm-anchor: ");

struct Settings {
  std::string Bench;
  std::vector<std::string> Mappers{"inproc", "shm"};
  std::vector<size_t> Sizes{4 << 10, 64 << 10, 1 << 20, 16 << 20};
  std::string Prot = "rw";
  std::string Dispatcher = "dynamic";
  std::string Executor = "/usr/lib/llvm-19/bin/llvm-jitlink-executor";
  int ListenPort = 0;     // tcp: the executor's port on 127.0.0.1; 0 picks a free one
  std::string Connect;    // tcp: where to connect; empty for the executor's own port
  bool TcpNoDelay = true; // tcp: TCP_NODELAY on both ends (the executor's through NoDelayPreload)
  std::string NoDelayPreload;
  int Reps = 5;
  double RepSeconds = 0.5;
  double WarmUpSeconds = 0.2;
  size_t MaxCyclesPerRep = 20000;
  size_t Allocs = 10000;
  size_t AllocSize = 4 << 10;
  size_t SlabBytes = 64 << 20;
  std::vector<std::string> Objects;
  std::vector<std::string> Symbols;
};
Settings S;

[[noreturn]] void usage(int Status) {
  (Status ? errs() : outs())
      << "usage: jitmem-llvm-anchor rpc|cycle|slab|link [--mappers=inproc,shm] [--managers=inproc,shm]\n"
         "         [--sizes=4KiB,64KiB,1MiB,16MiB] [--size=4KiB] [--allocs=10000] [--prot=rw|rx]\n"
         "         [--dispatcher=dynamic|inplace] [--executor=PATH] [--reps=5] [--rep-seconds=0.5]\n"
         "         [--warm-up-seconds=0.2] [--max-cycles=20000] [--objects=a.o,b.o,...] [--symbols=f,g,...]\n"
         "         [--listen-port=P] [--connect=HOST:PORT] [--tcp-nodelay=1|0] [--nodelay-preload=LIB.so]\n"
         "         (the last four with --mappers=tcp / --managers=tcp)\n";
  std::exit(Status);
}

size_t parseSize(StringRef Text) {
  StringRef Digits = Text.trim();
  size_t Unit = 1;
  if (Digits.consume_back_insensitive("kib") || Digits.consume_back_insensitive("k"))
    Unit = 1 << 10;
  else if (Digits.consume_back_insensitive("mib") || Digits.consume_back_insensitive("m"))
    Unit = 1 << 20;
  uint64_t Value = 0;
  if (Digits.getAsInteger(10, Value) || Value == 0) {
    errs() << "jitmem-llvm-anchor: not a size: " << Text << "\n";
    usage(2);
  }
  return Value * Unit;
}

std::vector<std::string> parseList(StringRef Text) {
  SmallVector<StringRef, 8> Parts;
  Text.split(Parts, ',', -1, false);
  std::vector<std::string> List;
  for (StringRef Part : Parts)
    List.push_back(Part.trim().str());
  return List;
}

void parseArgs(int Argc, char **Argv) {
  if (Argc < 2)
    usage(2);
  S.Bench = Argv[1];
  if (S.Bench == "-h" || S.Bench == "--help")
    usage(0);
  for (int I = 2; I < Argc; ++I) {
    auto [Key, Value] = StringRef(Argv[I]).split('=');
    if (Key == "--mappers" || Key == "--managers")
      S.Mappers = parseList(Value);
    else if (Key == "--sizes") {
      S.Sizes.clear();
      for (const std::string &Size : parseList(Value))
        S.Sizes.push_back(parseSize(Size));
    } else if (Key == "--size")
      S.AllocSize = parseSize(Value);
    else if (Key == "--allocs")
      S.Allocs = parseSize(Value);
    else if (Key == "--prot")
      S.Prot = Value.str();
    else if (Key == "--dispatcher")
      S.Dispatcher = Value.str();
    else if (Key == "--executor")
      S.Executor = Value.str();
    else if (Key == "--reps")
      S.Reps = std::max(1, std::atoi(Value.str().c_str()));
    else if (Key == "--rep-seconds")
      S.RepSeconds = std::atof(Value.str().c_str());
    else if (Key == "--warm-up-seconds")
      S.WarmUpSeconds = std::atof(Value.str().c_str());
    else if (Key == "--objects")
      S.Objects = parseList(Value);
    else if (Key == "--symbols")
      S.Symbols = parseList(Value);
    else if (Key == "--max-cycles")
      S.MaxCyclesPerRep = parseSize(Value);
    else if (Key == "--listen-port")
      S.ListenPort = std::atoi(Value.str().c_str());
    else if (Key == "--connect")
      S.Connect = Value.str();
    else if (Key == "--tcp-nodelay")
      S.TcpNoDelay = Value != "0";
    else if (Key == "--nodelay-preload")
      S.NoDelayPreload = Value.str();
    else {
      errs() << "jitmem-llvm-anchor: unknown option: " << Argv[I] << "\n";
      usage(2);
    }
  }
  if (S.Prot != "rw" && S.Prot != "rx") {
    errs() << "jitmem-llvm-anchor: --prot must be rw or rx\n";
    usage(2);
  }
  if (S.Dispatcher != "dynamic" && S.Dispatcher != "inplace") {
    errs() << "jitmem-llvm-anchor: --dispatcher must be dynamic or inplace\n";
    usage(2);
  }
}

AllocGroup segmentGroup() {
  return S.Prot == "rx" ? AllocGroup(MemProt::Read | MemProt::Exec) : AllocGroup(MemProt::Read | MemProt::Write);
}

std::string sizeLabel(size_t Bytes) {
  if (Bytes % (1 << 20) == 0)
    return std::to_string(Bytes >> 20) + "MiB";
  if (Bytes % (1 << 10) == 0)
    return std::to_string(Bytes >> 10) + "KiB";
  return std::to_string(Bytes);
}

double microsBetween(Clock::time_point From, Clock::time_point To) {
  return std::chrono::duration<double, std::micro>(To - From).count();
}

double percentile(std::vector<double> Samples, double Fraction) {
  if (Samples.empty())
    return 0;
  std::sort(Samples.begin(), Samples.end());
  size_t Index = std::min(Samples.size() - 1, size_t(Fraction * double(Samples.size())));
  return Samples[Index];
}

double median(const std::vector<double> &Samples) { return percentile(Samples, 0.5); }

// Processor time of this process (every thread, exited ones included) and of the executor, in microseconds.
struct CpuTime {
  double Controller = 0;
  double Executor = 0;

  static CpuTime now(pid_t Executor) {
    CpuTime Time;
    rusage Usage{};
    getrusage(RUSAGE_SELF, &Usage);
    Time.Controller = double(Usage.ru_utime.tv_sec + Usage.ru_stime.tv_sec) * 1e6 +
                      double(Usage.ru_utime.tv_usec + Usage.ru_stime.tv_usec);
    if (Executor > 0)
      Time.Executor = executorMicros(Executor);
    return Time;
  }

  // utime and stime, fields 14 and 15 of /proc/<pid>/stat, after the command name in parentheses.
  static double executorMicros(pid_t Pid) {
    std::ifstream Stat("/proc/" + std::to_string(Pid) + "/stat");
    std::string Line;
    std::getline(Stat, Line);
    size_t End = Line.rfind(')');
    if (End == std::string::npos) {
      errs() << "jitmem-llvm-anchor: cannot read /proc/" << Pid << "/stat\n";
      std::exit(1);
    }
    std::istringstream Fields(Line.substr(End + 2));
    std::string Field;
    unsigned long long UserTicks = 0, SystemTicks = 0;
    for (int Index = 3; Index <= 15 && Fields >> Field; ++Index) {
      if (Index == 14)
        UserTicks = std::stoull(Field);
      else if (Index == 15)
        SystemTicks = std::stoull(Field);
    }
    return double(UserTicks + SystemTicks) * 1e6 / double(sysconf(_SC_CLK_TCK));
  }

  CpuTime since(const CpuTime &Start) const { return {Controller - Start.Controller, Executor - Start.Executor}; }
  double total() const { return Controller + Executor; }
};

std::string cpuFields(const CpuTime &Used, size_t Operations) {
  char Text[160];
  snprintf(Text, sizeof(Text), "cpu_us=%.2f cpu_controller_us=%.2f cpu_executor_us=%.2f",
           Used.total() / double(Operations), Used.Controller / double(Operations),
           Used.Executor / double(Operations));
  return Text;
}

// Waits for an asynchronous operation's continuation, which may already have run on the calling thread.
template <typename T> class Awaiter {
  std::promise<T> Promise;

public:
  unique_function<void(T)> callback() {
    return [this](T Value) { Promise.set_value(std::move(Value)); };
  }
  T get() { return Promise.get_future().get(); }
};

ExecutorAddrRange reserve(MemoryMapper &Mapper, size_t Bytes) {
  Awaiter<Expected<ExecutorAddrRange>> Done;
  Mapper.reserve(Bytes, Done.callback());
  return ExitOnErr(Done.get());
}

ExecutorAddr initialize(MemoryMapper &Mapper, MemoryMapper::AllocInfo &Info) {
  Awaiter<Expected<ExecutorAddr>> Done;
  Mapper.initialize(Info, Done.callback());
  return ExitOnErr(Done.get());
}

void deinitialize(MemoryMapper &Mapper, ExecutorAddr Key) {
  Awaiter<Error> Done;
  Mapper.deinitialize({Key}, Done.callback());
  ExitOnErr(Done.get());
}

void release(MemoryMapper &Mapper, ExecutorAddr Base) {
  Awaiter<Error> Done;
  Mapper.release({Base}, Done.callback());
  ExitOnErr(Done.get());
}

// A free TCP port on 127.0.0.1 (the kernel's choice; released before the executor binds it).
int freePort() {
  int Fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in Address{};
  Address.sin_family = AF_INET;
  Address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t Length = sizeof(Address);
  if (Fd < 0 || bind(Fd, reinterpret_cast<sockaddr *>(&Address), sizeof(Address)) != 0 ||
      getsockname(Fd, reinterpret_cast<sockaddr *>(&Address), &Length) != 0) {
    perror("jitmem-llvm-anchor: free port");
    std::exit(1);
  }
  close(Fd);
  return ntohs(Address.sin_port);
}

// Connects to HOST:PORT as llvm-jitlink -oop-executor-connect does, retrying while the executor starts (5 s at most).
int connectTcp(const std::string &HostAndPort) {
  auto [Host, Port] = StringRef(HostAndPort).rsplit(':');
  addrinfo Hints{};
  Hints.ai_family = AF_INET;
  Hints.ai_socktype = SOCK_STREAM;
  auto Deadline = Clock::now() + std::chrono::seconds(5);
  for (;;) {
    addrinfo *Found = nullptr;
    if (getaddrinfo(Host.str().c_str(), Port.str().c_str(), &Hints, &Found) != 0 || !Found) {
      errs() << "jitmem-llvm-anchor: cannot resolve " << HostAndPort << "\n";
      std::exit(1);
    }
    int Fd = socket(Found->ai_family, Found->ai_socktype, Found->ai_protocol);
    int Status = Fd < 0 ? -1 : connect(Fd, Found->ai_addr, Found->ai_addrlen);
    freeaddrinfo(Found);
    if (Status == 0) {
      int On = S.TcpNoDelay ? 1 : 0;
      setsockopt(Fd, IPPROTO_TCP, TCP_NODELAY, &On, sizeof(On));
      return Fd;
    }
    if (Fd >= 0)
      close(Fd);
    if (Clock::now() > Deadline) {
      errs() << "jitmem-llvm-anchor: cannot connect to " << HostAndPort << "\n";
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::unique_ptr<TaskDispatcher> makeDispatcher() {
  if (S.Dispatcher == "inplace")
    return std::make_unique<InPlaceTaskDispatcher>();
  return std::make_unique<DynamicThreadPoolTaskDispatcher>(std::nullopt);
}

// Starts llvm-jitlink-executor with one argument; InChild runs in the child first (descriptors, environment).
pid_t spawn(const std::string &Argument, const std::function<void()> &InChild) {
  pid_t Pid = fork();
  if (Pid < 0) {
    perror("jitmem-llvm-anchor: fork");
    std::exit(1);
  }
  if (Pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive the benchmark
    InChild();
    execl(S.Executor.c_str(), S.Executor.c_str(), Argument.c_str(), (char *)nullptr);
    perror("jitmem-llvm-anchor: exec llvm-jitlink-executor");
    _exit(127);
  }
  return Pid;
}

// How the controller reaches llvm-jitlink-executor.
enum class Transport { Pipes, Tcp };

// llvm-jitlink-executor as llvm-jitlink starts it: a child process on a pair of pipes (-oop-executor), or listening on
// 127.0.0.1 and reached over TCP (listen=, -oop-executor-connect).
class Executor {
public:
  explicit Executor(Transport Kind = Transport::Pipes) {
    if (Kind == Transport::Tcp) {
      startListening();
      return;
    }
    int ToExecutor[2], FromExecutor[2];
    if (pipe(ToExecutor) != 0 || pipe(FromExecutor) != 0) {
      perror("jitmem-llvm-anchor: pipe");
      std::exit(1);
    }
    Pid = spawn("filedescs=" + std::to_string(ToExecutor[0]) + "," + std::to_string(FromExecutor[1]), [&] {
      close(ToExecutor[1]);
      close(FromExecutor[0]);
    });
    close(ToExecutor[0]);
    close(FromExecutor[1]);
    EPC = ExitOnErr(SimpleRemoteEPC::Create<FDSimpleRemoteEPCTransport>(
        makeDispatcher(), SimpleRemoteEPC::Setup(), FromExecutor[0], ToExecutor[1]));
  }

  Executor(const Executor &) = delete;
  Executor &operator=(const Executor &) = delete;

  ~Executor() {
    if (EPC && Socket >= 0) {
      // LLVM 19's FD transport ends a session by closing its descriptor while its own reader thread is blocked in
      // read() on it; for one socket used both ways that wakes no reader on either end and both wait for ever. Shut
      // the socket down first: both readers see the end, the executor exits, and disconnect() finds it gone.
      shutdown(Socket, SHUT_RDWR);
      consumeError(EPC->disconnect());
    } else if (EPC) {
      ExitOnErr(EPC->disconnect());
    }
    EPC.reset();
    int Status = 0;
    waitpid(Pid, &Status, 0);
  }

  pid_t pid() const { return Pid; }
  SimpleRemoteEPC &epc() { return *EPC; }

  // For an ExecutionSession, which takes the connection over and ends it with endSession().
  std::unique_ptr<SimpleRemoteEPC> takeEpc() { return std::move(EPC); }

  std::unique_ptr<SharedMemoryMapper> mapper() {
    SharedMemoryMapper::SymbolAddrs Symbols;
    ExitOnErr(EPC->getBootstrapSymbols(
        {{Symbols.Instance, rt::ExecutorSharedMemoryMapperServiceInstanceName},
         {Symbols.Reserve, rt::ExecutorSharedMemoryMapperServiceReserveWrapperName},
         {Symbols.Initialize, rt::ExecutorSharedMemoryMapperServiceInitializeWrapperName},
         {Symbols.Deinitialize, rt::ExecutorSharedMemoryMapperServiceDeinitializeWrapperName},
         {Symbols.Release, rt::ExecutorSharedMemoryMapperServiceReleaseWrapperName}}));
    return ExitOnErr(SharedMemoryMapper::Create(*EPC, Symbols));
  }

private:
  void startListening() {
    int Port = S.ListenPort ? S.ListenPort : freePort();
    Pid = spawn("listen=127.0.0.1:" + std::to_string(Port), [] {
      if (S.TcpNoDelay && !S.NoDelayPreload.empty())
        setenv("LD_PRELOAD", S.NoDelayPreload.c_str(), 1);
    });
    Socket = connectTcp(S.Connect.empty() ? "127.0.0.1:" + std::to_string(Port) : S.Connect);
    EPC = ExitOnErr(SimpleRemoteEPC::Create<FDSimpleRemoteEPCTransport>(makeDispatcher(), SimpleRemoteEPC::Setup(),
                                                                        Socket, Socket));
  }

  pid_t Pid = -1;
  int Socket = -1;
  std::unique_ptr<SimpleRemoteEPC> EPC;
};

// ------------------------------------------------------------------------------------------------------------- rpc

int runRpc() {
  Executor Remote;
  // LLVM 19's SimpleRemoteEPC has no MemoryAccess; the bootstrap's byte-write wrapper with nothing to write is the
  // emptiest call there is.
  ExecutorAddr Function;
  ExitOnErr(Remote.epc().getBootstrapSymbols({{Function, rt::MemoryWriteUInt8sWrapperName}}));
  std::vector<tpctypes::UInt8Write> Nothing;
  auto Call = [&] {
    Awaiter<Error> Done;
    auto Callback = Done.callback();
    Remote.epc().callSPSWrapperAsync<void(shared::SPSSequence<shared::SPSMemoryAccessUInt8Write>)>(
        Function, [Callback = std::move(Callback)](Error Failure) mutable { Callback(std::move(Failure)); },
        Nothing);
    ExitOnErr(Done.get());
  };
  auto WarmUpStart = Clock::now();
  while (microsBetween(WarmUpStart, Clock::now()) < S.WarmUpSeconds * 1e6)
    Call();
  std::vector<double> Samples;
  CpuTime Start = CpuTime::now(Remote.pid());
  for (int Rep = 0; Rep < S.Reps; ++Rep) {
    auto RepStart = Clock::now();
    while (microsBetween(RepStart, Clock::now()) < S.RepSeconds * 1e6) {
      auto Before = Clock::now();
      Call();
      Samples.push_back(microsBetween(Before, Clock::now()));
    }
  }
  CpuTime Used = CpuTime::now(Remote.pid()).since(Start);
  outs() << format("RESULT bench=rpc dispatcher=%s samples=%zu median_us=%.2f p90_us=%.2f ", S.Dispatcher.c_str(),
                   Samples.size(), median(Samples), percentile(Samples, 0.9))
         << cpuFields(Used, Samples.size()) << "\n";
  outs().flush();
  return 0;
}

// ----------------------------------------------------------------------------------------------------------- cycle

struct CycleSamples {
  std::vector<double> Reserve, PrepareCopy, Initialize, Deinitialize, Release, Cycle;
};

void cycle(MemoryMapper &Mapper, const std::vector<char> &Content, size_t Bytes, CycleSamples *Samples) {
  auto T0 = Clock::now();
  ExecutorAddrRange Range = reserve(Mapper, alignTo(Bytes, Mapper.getPageSize()));
  auto T1 = Clock::now();
  char *Working = Mapper.prepare(Range.Start, Bytes);
  std::memcpy(Working, Content.data(), Bytes);
  auto T2 = Clock::now();
  MemoryMapper::AllocInfo Info;
  Info.MappingBase = Range.Start;
  Info.Segments.push_back({0, Working, Bytes, 0, segmentGroup()});
  ExecutorAddr Key = initialize(Mapper, Info);
  auto T3 = Clock::now();
  deinitialize(Mapper, Key);
  auto T4 = Clock::now();
  release(Mapper, Range.Start);
  auto T5 = Clock::now();
  if (Samples) {
    Samples->Reserve.push_back(microsBetween(T0, T1));
    Samples->PrepareCopy.push_back(microsBetween(T1, T2));
    Samples->Initialize.push_back(microsBetween(T2, T3));
    Samples->Deinitialize.push_back(microsBetween(T3, T4));
    Samples->Release.push_back(microsBetween(T4, T5));
    Samples->Cycle.push_back(microsBetween(T0, T5));
  }
}

// The generic manager's cycle, in the same fields: reserve = allocate (the reserve call), prepare_copy = writing the
// working memory, initialize = finalize (content, protections and actions in one call), deinitialize = deallocate
// (deinitialize and release in one call), release = 0.
void managerCycle(jitlink::JITLinkMemoryManager &Manager, const std::vector<char> &Content, size_t Bytes,
                  CycleSamples *Samples) {
  auto T0 = Clock::now();
  auto Allocation = ExitOnErr(jitlink::SimpleSegmentAlloc::Create(
      Manager, nullptr, {{segmentGroup(), jitlink::SimpleSegmentAlloc::Segment(Bytes, Align(16))}}));
  auto T1 = Clock::now();
  MutableArrayRef<char> Working = Allocation.getSegInfo(segmentGroup()).WorkingMem;
  std::memcpy(Working.data(), Content.data(), Bytes);
  auto T2 = Clock::now();
  auto Finalized = ExitOnErr(Allocation.finalize());
  auto T3 = Clock::now();
  ExitOnErr(Manager.deallocate(std::move(Finalized)));
  auto T4 = Clock::now();
  if (Samples) {
    Samples->Reserve.push_back(microsBetween(T0, T1));
    Samples->PrepareCopy.push_back(microsBetween(T1, T2));
    Samples->Initialize.push_back(microsBetween(T2, T3));
    Samples->Deinitialize.push_back(microsBetween(T3, T4));
    Samples->Release.push_back(0);
    Samples->Cycle.push_back(microsBetween(T0, T4));
  }
}

using CycleFunction = std::function<void(const std::vector<char> &, size_t, CycleSamples *)>;

void measureCycles(const std::string &Name, const CycleFunction &Cycle, pid_t ExecutorPid) {
  std::vector<char> Content(*std::max_element(S.Sizes.begin(), S.Sizes.end()));
  for (size_t I = 0; I < Content.size(); ++I)
    Content[I] = char(I * 131 + 7);
  for (size_t Bytes : S.Sizes) {
    auto WarmUpStart = Clock::now();
    for (size_t Cycles = 0; Cycles < 3 || microsBetween(WarmUpStart, Clock::now()) < S.WarmUpSeconds * 1e6;
         ++Cycles)
      Cycle(Content, Bytes, nullptr);
    CycleSamples Samples;
    CpuTime Start = CpuTime::now(ExecutorPid);
    for (int Rep = 0; Rep < S.Reps; ++Rep) {
      auto RepStart = Clock::now();
      for (size_t Cycles = 0; Cycles < 3 || (microsBetween(RepStart, Clock::now()) < S.RepSeconds * 1e6 &&
                                             Cycles < S.MaxCyclesPerRep);
           ++Cycles)
        Cycle(Content, Bytes, &Samples);
    }
    CpuTime Used = CpuTime::now(ExecutorPid).since(Start);
    outs() << format("RESULT bench=cycle mapper=%s prot=%s dispatcher=%s size=%s samples=%zu median_us=%.2f "
                     "p90_us=%.2f reserve_us=%.2f prepare_copy_us=%.2f initialize_us=%.2f deinitialize_us=%.2f "
                     "release_us=%.2f ",
                     Name.c_str(), S.Prot.c_str(), ExecutorPid > 0 ? S.Dispatcher.c_str() : "-",
                     sizeLabel(Bytes).c_str(), Samples.Cycle.size(), median(Samples.Cycle),
                     percentile(Samples.Cycle, 0.9), median(Samples.Reserve), median(Samples.PrepareCopy),
                     median(Samples.Initialize), median(Samples.Deinitialize), median(Samples.Release))
           << cpuFields(Used, Samples.Cycle.size()) << "\n";
    outs().flush();
  }
}

int runCycle() {
  for (const std::string &Name : S.Mappers) {
    auto OverMapper = [](MemoryMapper &Mapper) -> CycleFunction {
      return [&Mapper](const std::vector<char> &Content, size_t Bytes, CycleSamples *Samples) {
        cycle(Mapper, Content, Bytes, Samples);
      };
    };
    if (Name == "inproc") {
      auto Mapper = ExitOnErr(InProcessMemoryMapper::Create());
      measureCycles(Name, OverMapper(*Mapper), -1);
    } else if (Name == "shm") {
      Executor Remote;
      auto Mapper = Remote.mapper();
      measureCycles(Name, OverMapper(*Mapper), Remote.pid());
    } else if (Name == "tcp") {
      Executor Remote(Transport::Tcp);
      jitlink::JITLinkMemoryManager &Manager = Remote.epc().getMemMgr();
      measureCycles(Name, [&Manager](const std::vector<char> &Content, size_t Bytes, CycleSamples *Samples) {
        managerCycle(Manager, Content, Bytes, Samples);
      }, Remote.pid());
    } else {
      errs() << "jitmem-llvm-anchor: unknown mapper: " << Name << " (inproc, shm or tcp)\n";
      return 2;
    }
  }
  return 0;
}

// ------------------------------------------------------------------------------------------------------------ slab

using jitlink::JITLinkMemoryManager;
using jitlink::SimpleSegmentAlloc;

// A slab manager over a fresh mapper; over shared memory, with a fresh executor too, destroyed after the manager.
// Over TCP, the executor connection's own generic manager, which reserves for every allocation.
struct SlabManager {
  std::unique_ptr<Executor> Remote; // declared first: destroyed last
  std::unique_ptr<MapperJITLinkMemoryManager> Slabs;
  JITLinkMemoryManager *Manager = nullptr;

  explicit SlabManager(const std::string &Name) {
    if (Name == "tcp") {
      Remote = std::make_unique<Executor>(Transport::Tcp);
      Manager = &Remote->epc().getMemMgr();
      return;
    }
    if (Name == "shm") {
      Remote = std::make_unique<Executor>();
      Slabs = std::make_unique<MapperJITLinkMemoryManager>(S.SlabBytes, Remote->mapper());
    } else {
      Slabs = ExitOnErr(MapperJITLinkMemoryManager::CreateWithMapper<InProcessMemoryMapper>(S.SlabBytes));
    }
    Manager = Slabs.get();
  }

  pid_t executorPid() const { return Remote ? Remote->pid() : -1; }
};

struct RoundTimes {
  double AllocateMicros = 0;
  double DeallocateMicros = 0;
  CpuTime Used;
};

// Allocates, writes and finalizes Allocs allocations (timed, processor time taken), then deallocates them in one
// batch (timed apart).
RoundTimes allocationRound(SlabManager &Slab, size_t Allocs) {
  AllocGroup Group = segmentGroup();
  std::vector<JITLinkMemoryManager::FinalizedAlloc> Finalized;
  Finalized.reserve(Allocs);
  RoundTimes Times;
  CpuTime Start = CpuTime::now(Slab.executorPid());
  auto T0 = Clock::now();
  for (size_t I = 0; I < Allocs; ++I) {
    auto Allocation = ExitOnErr(
        SimpleSegmentAlloc::Create(*Slab.Manager, nullptr, {{Group, SimpleSegmentAlloc::Segment(S.AllocSize, Align(16))}}));
    MutableArrayRef<char> Working = Allocation.getSegInfo(Group).WorkingMem;
    std::memset(Working.data(), int(I & 0xff), Working.size());
    Finalized.push_back(ExitOnErr(Allocation.finalize()));
  }
  auto T1 = Clock::now();
  Times.Used = CpuTime::now(Slab.executorPid()).since(Start);
  ExitOnErr(Slab.Manager->deallocate(std::move(Finalized)));
  auto T2 = Clock::now();
  Times.AllocateMicros = microsBetween(T0, T1) / double(Allocs);
  Times.DeallocateMicros = microsBetween(T1, T2) / double(Allocs);
  return Times;
}

std::string roundFields(const char *Round, const std::vector<RoundTimes> &Reps) {
  std::vector<double> Allocate, Deallocate, Cpu, Controller, Executor;
  for (const RoundTimes &Rep : Reps) {
    Allocate.push_back(Rep.AllocateMicros);
    Deallocate.push_back(Rep.DeallocateMicros);
    Cpu.push_back(Rep.Used.total() / double(S.Allocs));
    Controller.push_back(Rep.Used.Controller / double(S.Allocs));
    Executor.push_back(Rep.Used.Executor / double(S.Allocs));
  }
  char Text[320];
  snprintf(Text, sizeof(Text),
           "%s_us=%.2f %s_min_us=%.2f %s_max_us=%.2f %s_dealloc_us=%.2f %s_cpu_us=%.2f %s_cpu_controller_us=%.2f "
           "%s_cpu_executor_us=%.2f",
           Round, median(Allocate), Round, *std::min_element(Allocate.begin(), Allocate.end()), Round,
           *std::max_element(Allocate.begin(), Allocate.end()), Round, median(Deallocate), Round, median(Cpu), Round,
           median(Controller), Round, median(Executor));
  return Text;
}

int runSlab() {
  for (const std::string &Name : S.Mappers) {
    if (Name != "inproc" && Name != "shm" && Name != "tcp") {
      errs() << "jitmem-llvm-anchor: unknown manager: " << Name << " (inproc, shm or tcp)\n";
      return 2;
    }
    {
      SlabManager WarmUp(Name);
      allocationRound(WarmUp, std::min<size_t>(S.Allocs, 1000));
    }
    std::vector<RoundTimes> Cold, Warm;
    for (int Rep = 0; Rep < S.Reps; ++Rep) {
      SlabManager Slab(Name);
      Cold.push_back(allocationRound(Slab, S.Allocs));
      Warm.push_back(allocationRound(Slab, S.Allocs));
    }
    outs() << format("RESULT bench=slab manager=%s prot=%s dispatcher=%s allocs=%zu size=%s slab=%s reps=%d ",
                     Name.c_str(), S.Prot.c_str(), Name != "inproc" ? S.Dispatcher.c_str() : "-", S.Allocs,
                     sizeLabel(S.AllocSize).c_str(), sizeLabel(S.SlabBytes).c_str(), S.Reps)
           << roundFields("cold", Cold) << " " << roundFields("warm", Warm) << "\n";
    outs().flush();
  }
  return 0;
}

// ------------------------------------------------------------------------------------------------------------ link

// One JITLink session: ObjectLinkingLayer over MapperJITLinkMemoryManager (64 MiB slabs) with InProcessMemoryMapper
// in this process, or SharedMemoryMapper over llvm-jitlink-executor; unwind tables registered, as jitmem does, and
// undefined symbols resolved in the executor process.
// Counts the executor memory MapperJITLinkMemoryManager allocates for each graph it links: the graph's segments laid
// out contiguously, each rounded up to whole pages, GOT entries and stubs included (this pass runs after the
// target's own post-prune passes have added them).
class MemoryCounter : public ObjectLinkingLayer::Plugin {
public:
  explicit MemoryCounter(uint64_t PageSize) : PageSize(PageSize) {}

  void modifyPassConfig(MaterializationResponsibility &, jitlink::LinkGraph &,
                        jitlink::PassConfiguration &Config) override {
    Config.PostPrunePasses.push_back([this](jitlink::LinkGraph &Graph) -> Error {
      auto Sizes = jitlink::BasicLayout(Graph).getContiguousPageBasedLayoutSizes(PageSize);
      if (!Sizes)
        return Sizes.takeError();
      Bytes += Sizes->total();
      return Error::success();
    });
  }
  Error notifyFailed(MaterializationResponsibility &) override { return Error::success(); }
  Error notifyRemovingResources(JITDylib &, ResourceKey) override { return Error::success(); }
  void notifyTransferringResources(JITDylib &, ResourceKey, ResourceKey) override {}

  std::atomic<uint64_t> Bytes{0};

private:
  uint64_t PageSize;
};

class LinkSession {
public:
  explicit LinkSession(const std::string &Name) {
    std::unique_ptr<ExecutorProcessControl> EPC;
    if (Name == "shm") {
      Remote = std::make_unique<Executor>();
      Manager = std::make_unique<MapperJITLinkMemoryManager>(S.SlabBytes, Remote->mapper());
      EPC = Remote->takeEpc();
    } else {
      EPC = ExitOnErr(SelfExecutorProcessControl::Create());
      Manager = ExitOnErr(MapperJITLinkMemoryManager::CreateWithMapper<InProcessMemoryMapper>(S.SlabBytes));
    }
    ES = std::make_unique<ExecutionSession>(std::move(EPC));
    Layer = std::make_unique<ObjectLinkingLayer>(*ES, *Manager);
    Layer->addPlugin(std::make_unique<EHFrameRegistrationPlugin>(*ES, ExitOnErr(EPCEHFrameRegistrar::Create(*ES))));
    auto Counter = std::make_unique<MemoryCounter>(ES->getExecutorProcessControl().getPageSize());
    Memory = Counter.get();
    Layer->addPlugin(std::move(Counter));
    JD = &ES->createBareJITDylib("main");
    JD->addGenerator(ExitOnErr(EPCDynamicLibrarySearchGenerator::GetForTargetProcess(*ES)));
    for (const std::string &Symbol : S.Symbols)
      Names.add(ES->intern(Symbol));
  }

  LinkSession(const LinkSession &) = delete;
  LinkSession &operator=(const LinkSession &) = delete;

  // As llvm-jitlink ends its session: the session first, then the layer and the memory manager, whose mapper still
  // refers to the executor connection the session owns, then the session itself.
  ~LinkSession() {
    ExitOnErr(ES->endSession());
    Layer.reset();
    Manager.reset();
    ES.reset();
    Remote.reset();
  }

  pid_t executorPid() const { return Remote ? Remote->pid() : 0; }

  // Executor memory allocated for graphs so far, in bytes.
  uint64_t allocatedBytes() const { return Memory->Bytes.load(); }

  // Adds every object to a fresh tracker and looks the symbols up: link, load and finalize; then removes the tracker.
  void cycle(const std::vector<std::unique_ptr<MemoryBuffer>> &Objects, double *LoadMicros, double *UnloadMicros) {
    ResourceTrackerSP Tracker = JD->createResourceTracker();
    auto T0 = Clock::now();
    for (const std::unique_ptr<MemoryBuffer> &Object : Objects)
      ExitOnErr(Layer->add(Tracker, MemoryBuffer::getMemBuffer(Object->getMemBufferRef(), false)));
    ExitOnErr(ES->lookup(makeJITDylibSearchOrder(JD), Names));
    auto T1 = Clock::now();
    ExitOnErr(Tracker->remove());
    auto T2 = Clock::now();
    *LoadMicros = microsBetween(T0, T1);
    *UnloadMicros = microsBetween(T1, T2);
  }

private:
  std::unique_ptr<Executor> Remote;
  std::unique_ptr<MapperJITLinkMemoryManager> Manager;
  std::unique_ptr<ExecutionSession> ES;
  std::unique_ptr<ObjectLinkingLayer> Layer;
  JITDylib *JD = nullptr;
  MemoryCounter *Memory = nullptr;
  SymbolLookupSet Names;
};

int runLink() {
  if (S.Objects.empty() || S.Symbols.empty()) {
    errs() << "jitmem-llvm-anchor: link needs --objects and --symbols\n";
    usage(2);
  }
  std::vector<std::unique_ptr<MemoryBuffer>> Objects;
  for (const std::string &Path : S.Objects)
    Objects.push_back(ExitOnErr(errorOrToExpected(MemoryBuffer::getFile(Path))));
  for (const std::string &Name : S.Mappers) {
    LinkSession Session(Name);
    double Load = 0, Unload = 0;
    uint64_t Before = Session.allocatedBytes();
    Session.cycle(Objects, &Load, &Unload);
    uint64_t BytesPerLoad = Session.allocatedBytes() - Before;
    auto WarmUpStart = Clock::now();
    for (size_t Cycles = 0; Cycles < 3 || microsBetween(WarmUpStart, Clock::now()) < S.WarmUpSeconds * 1e6;
         ++Cycles)
      Session.cycle(Objects, &Load, &Unload);
    std::vector<double> Loads, Unloads;
    CpuTime Start = CpuTime::now(Session.executorPid());
    for (int Rep = 0; Rep < S.Reps; ++Rep) {
      auto RepStart = Clock::now();
      do {
        Session.cycle(Objects, &Load, &Unload);
        Loads.push_back(Load);
        Unloads.push_back(Unload);
      } while (microsBetween(RepStart, Clock::now()) < S.RepSeconds * 1e6);
    }
    CpuTime Used = CpuTime::now(Session.executorPid()).since(Start);
    outs() << format("RESULT bench=link manager=%s objects=%zu samples=%zu load_median_us=%.2f load_p90_us=%.2f "
                     "unload_median_us=%.2f load_per_object_us=%.2f executor_bytes=%llu executor_bytes_per_object=%.0f ",
                     Name.c_str(), Objects.size(), Loads.size(), median(Loads), percentile(Loads, 0.9),
                     median(Unloads), median(Loads) / double(Objects.size()), (unsigned long long)BytesPerLoad,
                     double(BytesPerLoad) / double(Objects.size()))
           << cpuFields(Used, Loads.size()) << "\n";
    outs().flush();
  }
  return 0;
}

} // namespace

int main(int Argc, char **Argv) {
  parseArgs(Argc, Argv);
  signal(SIGPIPE, SIG_IGN); // a write to an executor that has gone is an error to report, not a reason to die
  if (S.Bench == "rpc")
    return runRpc();
  if (S.Bench == "cycle")
    return runCycle();
  if (S.Bench == "slab")
    return runSlab();
  if (S.Bench == "link") {
    InitializeNativeTarget();
    return runLink();
  }
  errs() << "jitmem-llvm-anchor: unknown benchmark: " << S.Bench << "\n";
  usage(2);
}
