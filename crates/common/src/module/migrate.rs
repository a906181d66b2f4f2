//! One module's migrations as a sea-orm migrator built at run time (sea-orm-migration's
//! [`MigratorTraitSelf`]), recording them in the module's own table.

use sea_orm::DynIden;
use sea_orm::sea_query::{Alias, IntoIden};
use sea_orm_migration::{MigrationTrait, MigratorTraitSelf};

use super::Module;

/// The migrator of one module.
pub(super) struct ModuleMigrator<'a>(pub(super) &'a dyn Module);

#[async_trait::async_trait]
impl MigratorTraitSelf for ModuleMigrator<'_> {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        self.0.migrations()
    }

    fn migration_table_name(&self) -> DynIden {
        Alias::new(self.0.migration_table()).into_iden()
    }
}
