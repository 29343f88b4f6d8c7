// How the app writes its log lines; a header of its own so that the settings
// name it without pulling in spdlog (logging.h).
#pragma once

namespace app {

// text: for people (coloured on a terminal); json: one object per line, for programs.
enum class log_format { text, json };

}  // namespace app
