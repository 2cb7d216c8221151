// OCA oca-addons-repo-template, Odoo 18.0 (prettier 3 + @prettier/plugin-xml 3).
// A .cjs rather than .prettierrc.yml: prettier 3 resolves a plugin named in YAML
// from the repository, where it is not installed; require.resolve finds it in
// the pre-commit node environment (NODE_PATH).
/** @type {import('prettier').Config} */
const config = {
  plugins: [require.resolve("@prettier/plugin-xml")],
  bracketSpacing: false,
  printWidth: 88,
  proseWrap: "always",
  semi: true,
  trailingComma: "es5",
  xmlWhitespaceSensitivity: "preserve",
};

module.exports = config;
