// The dashboard's files (service/http/assets/), built into gpopd at compile time by
// embed_assets.cmake: the page works offline, from no CDN, with no build step.

#ifndef GPOP_SERVICE_HTTP_ASSETS_H_
#define GPOP_SERVICE_HTTP_ASSETS_H_

#include <cstddef>
#include <string>

namespace gpop::http {

// Asset
//
// One built-in file, served at `path` ("/" is index.html).
struct Asset {
  const char* path;
  const char* content_type;
  const char* data;
  size_t size;
};

// FindAsset
//
// The asset served at `path`, or null.
const Asset* FindAsset(const std::string& path);

}  // namespace gpop::http

#endif  // GPOP_SERVICE_HTTP_ASSETS_H_
