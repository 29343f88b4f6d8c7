// INTERIM (replaced by branch `config`).
#pragma once

#include <boost/program_options.hpp>

#include "migrator/settings.h"

namespace app {

void add_settings_options(boost::program_options::options_description& options);
migrator::settings settings_from(const boost::program_options::variables_map& vm);

}  // namespace app
