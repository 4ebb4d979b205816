// SPDX-License-Identifier: GPL-3.0-or-later
// Runs the demo website's app.js (argv[2]) under Node on a page from the
// server (argv[3], HTML) with a small stand-in for the DOM, answers its
// first poll with the status argv[4] and prints what is left on the
// page: one line per element with an id or a data-while-pending /
// data-when-answered attribute, "id shown|hidden|removed". Used by
// test-demo-site.c; no browser needed.
'use strict';

const fs = require('fs');
const vm = require('vm');

const [script, html, status] = process.argv.slice(2);
const elements = [];

function makeElement(tag, attributes) {
  const element = {
    tagName: tag.toUpperCase(),
    id: attributes.id || '',
    className: attributes.class || '',
    dataset: {},
    hidden: 'hidden' in attributes,
    removed: false,
    children: [],
    textContent: '',
    attributes: attributes,
    classList: {
      add(name) { element.className += ' ' + name; },
    },
    remove() { element.removed = true; },
    replaceChildren() { element.children = []; },
    appendChild(child) { element.children.push(child); },
  };
  for (const [name, value] of Object.entries(attributes))
    if (name.startsWith('data-'))
      element.dataset[name.slice(5).replace(/-([a-z])/g, (m, c) => c.toUpperCase())] = value;
  return element;
}

const tagPattern = /<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z-]+(?:="[^"]*")?)*)\s*\/?>/g;
const attributePattern = /([a-zA-Z-]+)(?:="([^"]*)")?/g;
let match;
while ((match = tagPattern.exec(fs.readFileSync(html, 'utf8'))) !== null) {
  const attributes = {};
  let attribute;
  while ((attribute = attributePattern.exec(match[2])) !== null)
    attributes[attribute[1]] = attribute[2] === undefined ? '' : attribute[2];
  elements.push(makeElement(match[1], attributes));
}

let interval = null;
const document = {
  getElementById(id) {
    return elements.find((element) => element.id === id && !element.removed) || null;
  },
  querySelectorAll(selector) {
    const name = /^\[([a-z-]+)\]$/.exec(selector);
    if (!name)
      throw new Error('selector not supported: ' + selector);
    return elements.filter((element) => name[1] in element.attributes && !element.removed);
  },
  createElement(tag) { return makeElement(tag, {}); },
};
const window = {
  setInterval(callback) { interval = callback; return 1; },
  clearInterval() { interval = null; },
};
const answer = { status: status, document: '12345678Z', level: 'advanced' };
function fetch() {
  return Promise.resolve({ status: 200, ok: true, json: () => Promise.resolve(answer) });
}

vm.runInNewContext(fs.readFileSync(script, 'utf8'),
                   { document, window, fetch, Promise, Date, Math, parseInt });
if (interval)
  interval();

setTimeout(function () {
  for (const element of elements) {
    if (!element.id && !('data-while-pending' in element.attributes)
        && !('data-when-answered' in element.attributes))
      continue;
    const state = element.removed ? 'removed' : element.hidden ? 'hidden' : 'shown';
    console.log((element.id || element.tagName) + ' ' + state);
  }
  const statusElement = document.getElementById('status');
  if (statusElement && statusElement.children.length > 0)
    console.log('status-title ' + statusElement.children[0].textContent);
}, 50);
