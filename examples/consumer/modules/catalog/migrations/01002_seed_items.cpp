// A code migration of the consumer's own: the catalog's starting items come
// from a table in C++ (where the program keeps them), each SKU built by code.
// Transactional: the items and the history row commit together.
#include <migrator/code_migration.h>

#include <string>

namespace {

struct starter_item {
  const char* family;
  int size;
  const char* title;
};

const starter_item starter_items[] = {
    {"mug", 250, "Mug, 250 ml"},
    {"mug", 400, "Mug, 400 ml"},
    {"cap", 0, "Cap"},
};

std::string sku_of(const starter_item& item) {
  std::string sku = item.family;
  for (auto& c : sku) c = static_cast<char>(c - 'a' + 'A');
  return item.size ? sku + "-" + std::to_string(item.size) : sku;
}

void up(migrator::code_transaction& tx) {
  for (const auto& item : starter_items)
    tx.exec("INSERT INTO catalog.items (sku, title) VALUES ($1, $2)", {sku_of(item), std::string(item.title)});
}

void down(migrator::code_transaction& tx) {
  for (const auto& item : starter_items) tx.exec("DELETE FROM catalog.items WHERE sku = $1", {sku_of(item)});
}

}  // namespace

MIGRATOR_CODE_MIGRATION(up, down);
