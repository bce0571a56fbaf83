"use strict";(self.rspackChunkjupyter_infer=self.rspackChunkjupyter_infer||[]).push([["style_index_js"],{"./node_modules/css-loader/dist/cjs.js!./style/base.css"(e,r,o){var a=o("./node_modules/css-loader/dist/runtime/noSourceMaps.js"),t=o.n(a),n=o("./node_modules/css-loader/dist/runtime/api.js"),l=(o.n(n))()(t());l.push([e.id,`/*
 * jupyter-infer panel, dialog and result view. Colours come only from JupyterLab's theme
 * variables, so the light and dark themes both work; status colours take the darker shade on a
 * light theme and the lighter one on a dark theme, so their text keeps its contrast.
 */

.jp-InferPanel,
.jp-InferDialog,
.jp-InferResult {
  --ji-ok: var(--jp-success-color0);
  --ji-warn: var(--jp-warn-color0);
  --ji-error: var(--jp-error-color0);
  --ji-active: var(--jp-brand-color0);
}

[data-jp-theme-light='false'] .jp-InferPanel,
[data-jp-theme-light='false'] .jp-InferDialog,
[data-jp-theme-light='false'] .jp-InferResult {
  --ji-ok: var(--jp-success-color2);
  --ji-warn: var(--jp-warn-color2);
  --ji-error: var(--jp-error-color2);
  --ji-active: var(--jp-brand-color2);
}

.jp-InferPanel {
  background: var(--jp-layout-color1);
  color: var(--jp-ui-font-color1);
  font-size: var(--jp-ui-font-size1);
  overflow-y: auto;
}

.jp-InferPanel :focus-visible,
.jp-InferDialog :focus-visible {
  outline: 2px solid var(--jp-brand-color1);
  outline-offset: 1px;
}

.jp-InferPanel-body {
  padding: 4px 8px 8px;
}

.jp-InferPanel-header {
  display: flex;
  align-items: center;
  gap: 6px;
}

.jp-InferPanel-header h2 {
  font-size: var(--jp-ui-font-size2);
  font-weight: 600;
  margin: 6px 0;
  color: var(--jp-ui-font-color0);
}

.jp-InferPanel-tabs {
  display: flex;
  border-bottom: var(--jp-border-width) solid var(--jp-border-color2);
  margin-bottom: 6px;
}

.jp-InferPanel-tab {
  background: none;
  border: none;
  border-bottom: 2px solid transparent;
  color: var(--jp-ui-font-color2);
  cursor: pointer;
  font-size: var(--jp-ui-font-size1);
  padding: 4px 10px;
}

.jp-InferPanel-tab:hover {
  color: var(--jp-ui-font-color1);
}

.jp-InferPanel-tab.jp-mod-active {
  border-bottom-color: var(--jp-brand-color1);
  color: var(--jp-ui-font-color0);
}

.jp-InferPanel-toolbar {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 6px;
  margin-bottom: 6px;
}

.jp-InferPanel-filter {
  display: flex;
  align-items: center;
  gap: 4px;
  color: var(--jp-ui-font-color2);
}

.jp-InferPanel select {
  background: var(--jp-input-background, var(--jp-layout-color1));
  color: var(--jp-ui-font-color1);
  border: var(--jp-border-width) solid var(--jp-border-color1);
  border-radius: 2px;
  font-size: var(--jp-ui-font-size1);
  padding: 1px 2px;
}

.jp-InferPanel .jp-Button.jp-mod-styled {
  height: auto;
  line-height: 1.4;
  min-height: 0;
  padding: 1px 8px;
  font-size: var(--jp-ui-font-size1);
  border: var(--jp-border-width) solid var(--jp-border-color1);
  border-radius: 2px;
  background: var(--jp-layout-color1);
  color: var(--jp-ui-font-color1);
}

.jp-InferPanel .jp-Button.jp-mod-styled:hover:enabled {
  background: var(--jp-layout-color2);
}

.jp-InferPanel .jp-Button.jp-mod-styled:disabled {
  opacity: 0.5;
}

.jp-InferPanel .jp-Button.jp-mod-styled.jp-mod-warn {
  background: var(--jp-warn-color-normal, var(--jp-warn-color1));
  border-color: var(--jp-warn-color-normal, var(--jp-warn-color1));
  color: var(--jp-ui-inverse-font-color1);
}

.jp-InferPanel-jobList,
.jp-InferPanel-modelList {
  list-style: none;
  margin: 0;
  padding: 0;
}

.jp-InferPanel-job,
.jp-InferPanel-model {
  --ji-status: var(--jp-ui-font-color2);
  border: var(--jp-border-width) solid var(--jp-border-color2);
  border-radius: 3px;
  background: var(--jp-layout-color0);
  margin: 0 0 6px;
  padding: 5px 6px;
}

.jp-InferPanel-jobHead,
.jp-InferPanel-jobSub {
  display: flex;
  align-items: center;
  gap: 6px;
  min-height: 20px;
  min-width: 0;
}

.jp-InferPanel-clip {
  display: inline-block;
  max-width: 100%;
  vertical-align: bottom;
  min-width: 0;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}

.jp-InferPanel-time {
  margin-left: auto;
  flex: none;
  color: var(--jp-ui-font-color2);
  font-size: var(--jp-ui-font-size0);
  white-space: nowrap;
}

.jp-InferPanel-spacer {
  flex: 1;
}

.jp-InferPanel-badge {
  flex: none;
  border: var(--jp-border-width) solid var(--ji-status);
  border-radius: 8px;
  color: var(--ji-status);
  font-size: var(--jp-ui-font-size0);
  font-weight: 600;
  line-height: 1.4;
  padding: 0 6px;
  white-space: nowrap;
}

.jp-InferPanel-status-running {
  --ji-status: var(--ji-active);
}

.jp-InferPanel-status-succeeded {
  --ji-status: var(--ji-ok);
}

.jp-InferPanel-status-failed {
  --ji-status: var(--ji-error);
}

.jp-InferPanel-status-canceled {
  --ji-status: var(--ji-warn);
}

/* Secondary text in the code font: the job and model types, the Run dialog's input and output paths. */
.jp-InferPanel-jobType,
.jp-InferPanel-modelType,
.jp-InferDialog-input,
.jp-InferDialog-output {
  color: var(--jp-ui-font-color2);
  font-family: var(--jp-code-font-family);
  font-size: var(--jp-ui-font-size0);
}

.jp-InferPanel-jobType,
.jp-InferPanel-modelType {
  white-space: nowrap;
}

.jp-InferPanel-jobModel,
.jp-InferPanel-modelName {
  font-weight: 600;
  color: var(--jp-ui-font-color0);
}

.jp-InferPanel-progress {
  height: 4px;
  margin: 4px 0;
  background: var(--jp-layout-color3);
  border-radius: 2px;
  overflow: hidden;
}

.jp-InferPanel-progressFill {
  height: 100%;
  background: var(--ji-status, var(--ji-active));
  transition: width 0.4s ease;
}

@media (prefers-reduced-motion: reduce) {
  .jp-InferPanel-progressFill {
    transition: none;
  }
}

.jp-InferPanel-jobMeta,
.jp-InferPanel-jobIO {
  color: var(--jp-ui-font-color2);
  font-size: var(--jp-ui-font-size0);
  min-width: 0;
}

.jp-InferPanel-jobMeta {
  overflow-wrap: anywhere;
}

.jp-InferPanel-jobIO {
  display: grid;
  grid-template-columns: auto minmax(0, 1fr);
  gap: 0 6px;
}

.jp-InferPanel-ioLabel {
  color: var(--jp-ui-font-color3);
}

.jp-InferPanel-jobId {
  font-family: var(--jp-code-font-family);
}

.jp-InferPanel-outputLink {
  color: var(--jp-content-link-color);
}

.jp-InferPanel-error,
.jp-InferPanel-pollError {
  color: var(--ji-error);
  font-size: var(--jp-ui-font-size0);
  margin-top: 2px;
  overflow-wrap: anywhere;
}

.jp-InferPanel-pollError {
  border: var(--jp-border-width) solid var(--ji-error);
  border-radius: 3px;
  padding: 4px;
  margin-bottom: 6px;
}

.jp-InferPanel-result .jp-Button.jp-mod-styled {
  margin: 0;
}

.jp-InferPanel-result {
  display: grid;
  grid-template-columns: auto 1fr 1fr;
  align-items: center;
  gap: 4px;
  margin-top: 4px;
  color: var(--jp-ui-font-color2);
}

.jp-InferPanel-empty {
  color: var(--jp-ui-font-color2);
  padding: 8px 2px;
}

.jp-InferPanel-pager {
  display: flex;
  align-items: center;
  justify-content: space-between;
  margin-top: 4px;
}

.jp-InferPanel-page {
  color: var(--jp-ui-font-color2);
}

/* The "Run inference" dialog. */
.jp-InferDialog {
  display: flex;
  flex-direction: column;
  gap: 8px;
  min-width: 360px;
  max-width: 560px;
}

.jp-InferDialog-modelsLabel {
  color: var(--jp-ui-font-color1);
  margin-bottom: -4px;
}

.jp-InferDialog-models {
  display: flex;
  flex-direction: column;
  flex: none;
  max-height: 240px;
  overflow-y: auto;
  border: var(--jp-border-width) solid var(--jp-border-color1);
  border-radius: 2px;
}

.jp-InferDialog-modelItem {
  display: grid;
  grid-template-columns: auto minmax(0, 1fr) auto auto;
  grid-template-areas: 'radio name meta match';
  align-items: center;
  gap: 0 8px;
  padding: 3px 8px;
  cursor: pointer;
  border-bottom: var(--jp-border-width) solid var(--jp-border-color2);
}

.jp-InferDialog-modelItem:last-child {
  border-bottom: none;
}

.jp-InferDialog-modelItem:hover {
  background: var(--jp-layout-color2);
}

.jp-InferDialog-modelItem.jp-mod-selected {
  background: var(--jp-layout-color2);
  box-shadow: inset 3px 0 0 var(--jp-brand-color1);
}

/* Drawn by us, so every browser and theme shows the same round radio. */
.jp-InferDialog-modelItem input {
  grid-area: radio;
  appearance: none;
  width: 14px;
  height: 14px;
  margin: 0;
  border: 1.5px solid var(--jp-ui-font-color2);
  border-radius: 50%;
  background: var(--jp-layout-color1);
}

.jp-InferDialog-modelItem input:checked {
  border-color: var(--jp-brand-color1);
  box-shadow: inset 0 0 0 3px var(--jp-layout-color1);
  background: var(--jp-brand-color1);
}

.jp-InferDialog-modelName {
  grid-area: name;
  font-weight: 600;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}

.jp-InferDialog-modelMeta {
  grid-area: meta;
  color: var(--jp-ui-font-color2);
  font-size: var(--jp-ui-font-size0);
}

.jp-InferDialog-matchLabel {
  grid-area: match;
  font-size: var(--jp-ui-font-size0);
  white-space: nowrap;
}

.jp-InferDialog-matchFull .jp-InferDialog-matchLabel,
.jp-InferDialog-match.jp-InferDialog-matchFull {
  color: var(--ji-ok);
}

.jp-InferDialog-matchPartial .jp-InferDialog-matchLabel,
.jp-InferDialog-match.jp-InferDialog-matchPartial,
.jp-InferDialog-matchPoor .jp-InferDialog-matchLabel,
.jp-InferDialog-match.jp-InferDialog-matchPoor {
  color: var(--ji-warn);
}

.jp-InferDialog-matchPoor .jp-InferDialog-matchLabel {
  font-weight: 600;
}

.jp-InferDialog-match {
  font-size: var(--jp-ui-font-size0);
  min-height: 1.4em;
}

.jp-InferDialog-row {
  display: flex;
  align-items: center;
  gap: 8px;
}

.jp-InferDialog-row[hidden] {
  display: none;
}

.jp-InferDialog-label {
  flex: 0 0 140px;
  color: var(--jp-ui-font-color1);
}

.jp-InferDialog-row select,
.jp-InferDialog-row input[type='number'] {
  flex: 1;
}

.jp-InferDialog-input,
.jp-InferDialog-output {
  overflow-wrap: anywhere;
}

/* The result view in the main area. */
.jp-InferResult {
  background: var(--jp-layout-color0);
  color: var(--jp-content-font-color1);
  overflow: auto;
  padding: 8px;
}

.jp-InferResult-table {
  border-collapse: collapse;
  font-family: var(--jp-code-font-family);
  font-size: var(--jp-code-font-size);
}

.jp-InferResult-table th,
.jp-InferResult-table td {
  border: var(--jp-border-width) solid var(--jp-border-color2);
  padding: 2px 6px;
  text-align: right;
  white-space: nowrap;
}

.jp-InferResult-table th {
  background: var(--jp-layout-color2);
  position: sticky;
  top: 0;
}

.jp-InferResult-json {
  font-family: var(--jp-code-font-family);
  font-size: var(--jp-code-font-size);
  margin: 0;
}

.jp-InferResult-note {
  color: var(--jp-ui-font-color2);
  margin-top: 6px;
}
`,""]),o.d(r,{},{A:l})},"./node_modules/css-loader/dist/runtime/api.js"(e){e.exports=function(e){var r=[];return r.toString=function(){return this.map(function(r){var o="",a=void 0!==r[5];return r[4]&&(o+="@supports (".concat(r[4],") {")),r[2]&&(o+="@media ".concat(r[2]," {")),a&&(o+="@layer".concat(r[5].length>0?" ".concat(r[5]):""," {")),o+=e(r),a&&(o+="}"),r[2]&&(o+="}"),r[4]&&(o+="}"),o}).join("")},r.i=function(e,o,a,t,n){"string"==typeof e&&(e=[[null,e,void 0]]);var l={};if(a)for(var i=0;i<this.length;i++){var p=this[i][0];null!=p&&(l[p]=!0)}for(var s=0;s<e.length;s++){var d=[].concat(e[s]);a&&l[d[0]]||(void 0!==n&&(void 0===d[5]||(d[1]="@layer".concat(d[5].length>0?" ".concat(d[5]):""," {").concat(d[1],"}")),d[5]=n),o&&(d[2]&&(d[1]="@media ".concat(d[2]," {").concat(d[1],"}")),d[2]=o),t&&(d[4]?(d[1]="@supports (".concat(d[4],") {").concat(d[1],"}"),d[4]=t):d[4]="".concat(t)),r.push(d))}},r}},"./node_modules/css-loader/dist/runtime/noSourceMaps.js"(e){e.exports=function(e){return e[1]}},"./node_modules/style-loader/dist/runtime/injectStylesIntoStyleTag.js"(e){var r=[];function o(e){for(var o=-1,a=0;a<r.length;a++)if(r[a].identifier===e){o=a;break}return o}function a(e,a){for(var t={},n=[],l=0;l<e.length;l++){var i=e[l],p=a.base?i[0]+a.base:i[0],s=t[p]||0,d="".concat(p," ").concat(s);t[p]=s+1;var c=o(d),f={css:i[1],media:i[2],sourceMap:i[3],supports:i[4],layer:i[5]};if(-1!==c)r[c].references++,r[c].updater(f);else{var u=function(e,r){var o=r.domAPI(r);return o.update(e),function(r){r?(r.css!==e.css||r.media!==e.media||r.sourceMap!==e.sourceMap||r.supports!==e.supports||r.layer!==e.layer)&&o.update(e=r):o.remove()}}(f,a);a.byIndex=l,r.splice(l,0,{identifier:d,updater:u,references:1})}n.push(d)}return n}e.exports=function(e,t){var n=a(e=e||[],t=t||{});return function(e){e=e||[];for(var l=0;l<n.length;l++){var i=o(n[l]);r[i].references--}for(var p=a(e,t),s=0;s<n.length;s++){var d=o(n[s]);0===r[d].references&&(r[d].updater(),r.splice(d,1))}n=p}}},"./node_modules/style-loader/dist/runtime/insertBySelector.js"(e){var r={};e.exports=function(e,o){var a=function(e){if(void 0===r[e]){var o=document.querySelector(e);if(window.HTMLIFrameElement&&o instanceof window.HTMLIFrameElement)try{o=o.contentDocument.head}catch(e){o=null}r[e]=o}return r[e]}(e);if(!a)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");a.appendChild(o)}},"./node_modules/style-loader/dist/runtime/insertStyleElement.js"(e){e.exports=function(e){var r=document.createElement("style");return e.setAttributes(r,e.attributes),e.insert(r,e.options),r}},"./node_modules/style-loader/dist/runtime/setAttributesWithoutAttributes.js"(e,r,o){e.exports=function(e){var r=o.nc;r&&e.setAttribute("nonce",r)}},"./node_modules/style-loader/dist/runtime/styleDomAPI.js"(e){e.exports=function(e){if("u"<typeof document)return{update:function(){},remove:function(){}};var r=e.insertStyleElement(e);return{update:function(o){var a,t,n;a="",o.supports&&(a+="@supports (".concat(o.supports,") {")),o.media&&(a+="@media ".concat(o.media," {")),(t=void 0!==o.layer)&&(a+="@layer".concat(o.layer.length>0?" ".concat(o.layer):""," {")),a+=o.css,t&&(a+="}"),o.media&&(a+="}"),o.supports&&(a+="}"),(n=o.sourceMap)&&"u">typeof btoa&&(a+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(n))))," */")),e.styleTagTransform(a,r,e.options)},remove:function(){var e;null===(e=r).parentNode||e.parentNode.removeChild(e)}}}},"./node_modules/style-loader/dist/runtime/styleTagTransform.js"(e){e.exports=function(e,r){if(r.styleSheet)r.styleSheet.cssText=e;else{for(;r.firstChild;)r.removeChild(r.firstChild);r.appendChild(document.createTextNode(e))}}},"./style/index.js"(e,r,o){var a=o("./node_modules/style-loader/dist/runtime/injectStylesIntoStyleTag.js"),t=o.n(a),n=o("./node_modules/style-loader/dist/runtime/styleDomAPI.js"),l=o.n(n),i=o("./node_modules/style-loader/dist/runtime/insertBySelector.js"),p=o.n(i),s=o("./node_modules/style-loader/dist/runtime/setAttributesWithoutAttributes.js"),d=o.n(s),c=o("./node_modules/style-loader/dist/runtime/insertStyleElement.js"),f=o.n(c),u=o("./node_modules/style-loader/dist/runtime/styleTagTransform.js"),j=o.n(u),m=o("./node_modules/css-loader/dist/cjs.js!./style/base.css"),v={};v.styleTagTransform=j(),v.setAttributes=d(),v.insert=p().bind(null,"head"),v.domAPI=l(),v.insertStyleElement=f(),t()(m.A,v),m.A&&m.A.locals&&m.A.locals}}]);