// The native OCR engine in-process (src/adapters/ocr/native-tesseract.engine.ts): Debian's
// libtesseract behind a small Node-API module, so a page pass is one call on a warm engine instead
// of a `tesseract` process that loads its traineddata (~0.1 s of CPU) for every page.
//
// One engine per OCR thread; `recognize` runs synchronously in that worker thread (never on the
// event loop, never on libuv's pool, which file and database calls share). It reads the page as
// the CLI reads a PGM file (8-bit grey, resolution estimated from the text), so both give the same
// words. A pass stops when its Int32Array flag (shared memory, set by the main thread) turns
// non-zero, or at its deadline: tesseract asks after every word.
//
// Built by scripts/build-native.mjs against libtesseract-dev when installed; without it the engine
// runs the CLI as before.
#include <node_api.h>
#include <tesseract/baseapi.h>
#include <tesseract/ocrclass.h>

#include <cstdint>
#include <string>

namespace {

struct Engine {
  tesseract::TessBaseAPI api;
  bool open = false;
};

bool Fail(napi_env env, const char *msg) {
  napi_throw_error(env, nullptr, msg);
  return false;
}

#define CHECK(env, call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      Fail(env, "dossier_tesseract: Node-API call failed"); \
      return nullptr;                                      \
    }                                                      \
  } while (0)

// The call's first N arguments into argv; throws `usage` when fewer were given.
template <size_t N>
bool Args(napi_env env, napi_callback_info info, napi_value (&argv)[N], const char *usage) {
  size_t argc = N;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return Fail(env, "dossier_tesseract: Node-API call failed");
  if (argc < N) return Fail(env, usage);
  return true;
}

std::string StringArg(napi_env env, napi_value v, bool *ok) {
  size_t len = 0;
  *ok = napi_get_value_string_utf8(env, v, nullptr, 0, &len) == napi_ok;
  if (!*ok) return {};
  std::string s(len, '\0');
  *ok = napi_get_value_string_utf8(env, v, s.data(), len + 1, &len) == napi_ok;
  return s;
}

void Finalize(napi_env, void *data, void *) {
  auto *e = static_cast<Engine *>(data);
  if (e->open) e->api.End();
  delete e;
}

Engine *EngineArg(napi_env env, napi_value v) {
  void *data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok || !data) {
    Fail(env, "dossier_tesseract: not an engine");
    return nullptr;
  }
  auto *e = static_cast<Engine *>(data);
  if (!e->open) {
    Fail(env, "dossier_tesseract: engine closed");
    return nullptr;
  }
  return e;
}

// open(tessdataDir: string, langs: string): engine. LSTM only, automatic page segmentation: as
// `tesseract --oem 1 --psm 3`.
napi_value Open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!Args(env, info, argv, "open(tessdataDir, langs)")) return nullptr;
  bool ok1 = false, ok2 = false;
  std::string dir = StringArg(env, argv[0], &ok1), langs = StringArg(env, argv[1], &ok2);
  if (!ok1 || !ok2) return Fail(env, "open(tessdataDir, langs): strings expected"), nullptr;
  auto *e = new Engine();
  // As the CLI with its output going to files: tesseract's own notes ("Estimating resolution")
  // are not for the service's log.
  e->api.SetVariable("debug_file", "/dev/null");
  if (e->api.Init(dir.c_str(), langs.c_str(), tesseract::OEM_LSTM_ONLY) != 0) {
    delete e;
    std::string msg = "OCR language data could not be loaded for " + langs + " from " + dir;
    return Fail(env, msg.c_str()), nullptr;
  }
  e->open = true;
  e->api.SetPageSegMode(tesseract::PSM_AUTO);
  napi_value out;
  CHECK(env, napi_create_external(env, e, Finalize, nullptr, &out));
  return out;
}

bool Cancelled(void *flag, int) {
  return __atomic_load_n(static_cast<int32_t *>(flag), __ATOMIC_RELAXED) != 0;
}

napi_value Str(napi_env env, const char *s) {
  napi_value v;
  if (napi_create_string_utf8(env, s ? s : "", NAPI_AUTO_LENGTH, &v) != napi_ok) return nullptr;
  return v;
}

// recognize(engine, pixels: Uint8Array, width, height, heavyNoise: boolean, stop: Int32Array,
// deadlineMs: number): { text, tsv, stopped, timedOut }
napi_value Recognize(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!Args(env, info, argv, "recognize(engine, pixels, width, height, heavyNoise, stop, deadlineMs)")) return nullptr;
  Engine *e = EngineArg(env, argv[0]);
  if (!e) return nullptr;
  napi_typedarray_type type;
  size_t length = 0;
  void *pixels = nullptr;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &pixels, nullptr, nullptr) != napi_ok ||
      (type != napi_uint8_array && type != napi_uint8_clamped_array))
    return Fail(env, "recognize: pixels must be a Uint8Array"), nullptr;
  int32_t width = 0, height = 0, deadline = 0;
  CHECK(env, napi_get_value_int32(env, argv[2], &width));
  CHECK(env, napi_get_value_int32(env, argv[3], &height));
  if (width <= 0 || height <= 0 || static_cast<size_t>(width) * static_cast<size_t>(height) > length)
    return Fail(env, "recognize: width x height exceeds the pixels given"), nullptr;
  bool heavy = false;
  CHECK(env, napi_get_value_bool(env, argv[4], &heavy));
  size_t stopLength = 0;
  void *stop = nullptr;
  if (napi_get_typedarray_info(env, argv[5], &type, &stopLength, &stop, nullptr, nullptr) != napi_ok || type != napi_int32_array || stopLength < 1)
    return Fail(env, "recognize: stop must be an Int32Array"), nullptr;
  CHECK(env, napi_get_value_int32(env, argv[6], &deadline));

  // The despeckle retry's noise removal, as `-c textord_heavy_nr=1` does for the CLI.
  e->api.SetVariable("textord_heavy_nr", heavy ? "1" : "0");
  e->api.SetImage(static_cast<const unsigned char *>(pixels), width, height, 1, width);
  tesseract::ETEXT_DESC monitor;
  monitor.cancel = Cancelled;
  monitor.cancel_this = stop;
  if (deadline > 0) monitor.set_deadline_msecs(deadline);
  const int rc = e->api.Recognize(&monitor);
  const bool stopped = Cancelled(stop, 0);
  const bool timedOut = !stopped && monitor.deadline_exceeded();
  char *text = nullptr, *tsv = nullptr;
  if (rc == 0 && !stopped && !timedOut) {
    text = e->api.GetUTF8Text();
    tsv = e->api.GetTSVText(0);
  }
  e->api.Clear();

  napi_value out, v;
  CHECK(env, napi_create_object(env, &out));
  napi_value textValue = Str(env, text), tsvValue = Str(env, tsv);
  delete[] text;
  delete[] tsv;
  if (!textValue || !tsvValue) return Fail(env, "recognize: the result could not be returned"), nullptr;
  CHECK(env, napi_set_named_property(env, out, "text", textValue));
  CHECK(env, napi_set_named_property(env, out, "tsv", tsvValue));
  CHECK(env, napi_get_boolean(env, stopped, &v));
  CHECK(env, napi_set_named_property(env, out, "stopped", v));
  CHECK(env, napi_get_boolean(env, timedOut, &v));
  CHECK(env, napi_set_named_property(env, out, "timedOut", v));
  CHECK(env, napi_get_boolean(env, rc == 0, &v));
  CHECK(env, napi_set_named_property(env, out, "ok", v));
  return out;
}

// close(engine): frees the models now rather than at the next garbage collection.
napi_value Close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!Args(env, info, argv, "close(engine)")) return nullptr;
  void *data = nullptr;
  if (napi_get_value_external(env, argv[0], &data) == napi_ok && data) {
    auto *e = static_cast<Engine *>(data);
    if (e->open) e->api.End();
    e->open = false;
  }
  return nullptr;
}

napi_value Version(napi_env env, napi_callback_info) {
  return Str(env, tesseract::TessBaseAPI::Version());
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"open", nullptr, Open, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"recognize", nullptr, Recognize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return nullptr;
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }
