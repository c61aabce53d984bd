// Model check of lib/domain_map (the flat LRU of commit 9c8b2c3): 1.2M random
// Put/Find operations at capacities 1..1000 against a std::list reference LRU.
//   g++ -std=c++20 -O2 -Ilib -Iinclude bench/proposals/dm_model.cc lib/domain_map.cc \
//       lib/ip_addr.cc -o /tmp/dm_model && /tmp/dm_model
#include <cstring>
#include <cstdio>
#include <list>
#include <map>
#include <random>
#include "domain_map.h"
using namespace sw;
int main() {
  std::mt19937_64 rng(1);
  for (size_t cap : {1, 2, 3, 7, 64, 1000}) {
    DomainMap m(cap);
    std::list<std::pair<uint32_t, std::string>> ref;  // front newest
    for (int step = 0; step < 200000; ++step) {
      uint32_t k = rng() % (cap * 3 + 2);
      IpAddr ip; ip.family = (k & 1) ? 2 : 10; std::memcpy(ip.bytes.data(), &k, 4);
      if (rng() % 3) {
        std::string d = "d" + std::to_string(rng() % 1000);
        m.Put(ip, d);
        for (auto it = ref.begin(); it != ref.end(); ++it) if (it->first == k) { ref.erase(it); break; }
        ref.emplace_front(k, d);
        if (ref.size() > cap) ref.pop_back();
      } else {
        const std::string* got = m.Find(ip);
        const std::string* want = nullptr;
        for (auto& e : ref) if (e.first == k) want = &e.second;
        if ((got == nullptr) != (want == nullptr) || (got && *got != *want)) { std::printf("MISMATCH cap %zu step %d\n", cap, step); return 1; }
      }
      if (m.size() != ref.size()) { std::printf("SIZE MISMATCH\n"); return 1; }
    }
  }
  std::printf("model check ok\n");
}
