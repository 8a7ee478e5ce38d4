'use strict';
// strip-ansi for the bundle, on Node's own util.stripVTControlCharacters: cliui calls it for every cell
// of the help text, and the package builds its regular expression anew on each call.
const { stripVTControlCharacters } = require('node:util');

module.exports = function stripAnsi(string) {
  if (typeof string !== 'string') throw new TypeError(`Expected a \`string\`, got \`${typeof string}\``);
  return stripVTControlCharacters(string);
};
module.exports.default = module.exports;
