"use strict";(self.rspackChunkjupyter_infer=self.rspackChunkjupyter_infer||[]).push([["style_index_js"],{"./node_modules/css-loader/dist/cjs.js!./style/base.css"(e,r,o){var n=o("./node_modules/css-loader/dist/runtime/noSourceMaps.js"),t=o.n(n),a=o("./node_modules/css-loader/dist/runtime/api.js"),l=(o.n(a))()(t());l.push([e.id,`/*
 * jupyter-infer panel, dialog and result view. Colours come only from JupyterLab's theme
 * variables, so the light and dark themes both work.
 */

.jp-InferPanel {
  background: var(--jp-layout-color1);
  color: var(--jp-ui-font-color1);
  font-size: var(--jp-ui-font-size1);
  min-width: 280px;
  overflow-y: auto;
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
  border: var(--jp-border-width) solid var(--jp-border-color2);
  border-radius: 3px;
  background: var(--jp-layout-color0);
  margin: 0 0 6px;
  padding: 5px 6px;
}

.jp-InferPanel-jobHead {
  display: flex;
  align-items: center;
  gap: 6px;
  min-height: 20px;
}

.jp-InferPanel-spacer {
  flex: 1;
}

.jp-InferPanel-badge {
  border-radius: 8px;
  font-size: var(--jp-ui-font-size0);
  font-weight: 600;
  padding: 0 6px;
  text-transform: uppercase;
  background: var(--jp-layout-color3);
  color: var(--jp-ui-inverse-font-color1);
}

.jp-InferPanel-status-running .jp-InferPanel-badge {
  background: var(--jp-brand-color1);
}

.jp-InferPanel-status-succeeded .jp-InferPanel-badge {
  background: var(--jp-success-color1);
}

.jp-InferPanel-status-failed .jp-InferPanel-badge {
  background: var(--jp-error-color1);
}

.jp-InferPanel-status-canceled .jp-InferPanel-badge {
  background: var(--jp-warn-color1);
}

.jp-InferPanel-jobType,
.jp-InferPanel-modelType {
  color: var(--jp-ui-font-color2);
}

.jp-InferPanel-jobModel,
.jp-InferPanel-modelName {
  font-weight: 600;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
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
  background: var(--jp-brand-color1);
  transition: width 0.4s ease;
}

.jp-InferPanel-status-succeeded .jp-InferPanel-progressFill {
  background: var(--jp-success-color1);
}

.jp-InferPanel-status-failed .jp-InferPanel-progressFill {
  background: var(--jp-error-color1);
}

.jp-InferPanel-status-canceled .jp-InferPanel-progressFill {
  background: var(--jp-warn-color1);
}

.jp-InferPanel-jobMeta,
.jp-InferPanel-jobIO {
  color: var(--jp-ui-font-color2);
  font-size: var(--jp-ui-font-size0);
  overflow-wrap: anywhere;
}

.jp-InferPanel-jobId {
  font-family: var(--jp-code-font-family);
}

.jp-InferPanel-outputLink {
  color: var(--jp-content-link-color);
}

.jp-InferPanel-error,
.jp-InferPanel-pollError {
  color: var(--jp-error-color1);
  font-size: var(--jp-ui-font-size0);
  margin-top: 2px;
  overflow-wrap: anywhere;
}

.jp-InferPanel-pollError {
  border: var(--jp-border-width) solid var(--jp-error-color1);
  border-radius: 3px;
  padding: 4px;
  margin-bottom: 6px;
}

.jp-InferPanel-result .jp-Button.jp-mod-styled {
  margin: 0;
}

.jp-InferPanel-result {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 4px 6px;
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
  min-width: 340px;
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
  color: var(--jp-ui-font-color2);
  font-family: var(--jp-code-font-family);
  font-size: var(--jp-ui-font-size0);
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
`,""]),o.d(r,{},{A:l})},"./node_modules/css-loader/dist/runtime/api.js"(e){e.exports=function(e){var r=[];return r.toString=function(){return this.map(function(r){var o="",n=void 0!==r[5];return r[4]&&(o+="@supports (".concat(r[4],") {")),r[2]&&(o+="@media ".concat(r[2]," {")),n&&(o+="@layer".concat(r[5].length>0?" ".concat(r[5]):""," {")),o+=e(r),n&&(o+="}"),r[2]&&(o+="}"),r[4]&&(o+="}"),o}).join("")},r.i=function(e,o,n,t,a){"string"==typeof e&&(e=[[null,e,void 0]]);var l={};if(n)for(var p=0;p<this.length;p++){var s=this[p][0];null!=s&&(l[s]=!0)}for(var i=0;i<e.length;i++){var d=[].concat(e[i]);n&&l[d[0]]||(void 0!==a&&(void 0===d[5]||(d[1]="@layer".concat(d[5].length>0?" ".concat(d[5]):""," {").concat(d[1],"}")),d[5]=a),o&&(d[2]&&(d[1]="@media ".concat(d[2]," {").concat(d[1],"}")),d[2]=o),t&&(d[4]?(d[1]="@supports (".concat(d[4],") {").concat(d[1],"}"),d[4]=t):d[4]="".concat(t)),r.push(d))}},r}},"./node_modules/css-loader/dist/runtime/noSourceMaps.js"(e){e.exports=function(e){return e[1]}},"./node_modules/style-loader/dist/runtime/injectStylesIntoStyleTag.js"(e){var r=[];function o(e){for(var o=-1,n=0;n<r.length;n++)if(r[n].identifier===e){o=n;break}return o}function n(e,n){for(var t={},a=[],l=0;l<e.length;l++){var p=e[l],s=n.base?p[0]+n.base:p[0],i=t[s]||0,d="".concat(s," ").concat(i);t[s]=i+1;var c=o(d),u={css:p[1],media:p[2],sourceMap:p[3],supports:p[4],layer:p[5]};if(-1!==c)r[c].references++,r[c].updater(u);else{var f=function(e,r){var o=r.domAPI(r);return o.update(e),function(r){r?(r.css!==e.css||r.media!==e.media||r.sourceMap!==e.sourceMap||r.supports!==e.supports||r.layer!==e.layer)&&o.update(e=r):o.remove()}}(u,n);n.byIndex=l,r.splice(l,0,{identifier:d,updater:f,references:1})}a.push(d)}return a}e.exports=function(e,t){var a=n(e=e||[],t=t||{});return function(e){e=e||[];for(var l=0;l<a.length;l++){var p=o(a[l]);r[p].references--}for(var s=n(e,t),i=0;i<a.length;i++){var d=o(a[i]);0===r[d].references&&(r[d].updater(),r.splice(d,1))}a=s}}},"./node_modules/style-loader/dist/runtime/insertBySelector.js"(e){var r={};e.exports=function(e,o){var n=function(e){if(void 0===r[e]){var o=document.querySelector(e);if(window.HTMLIFrameElement&&o instanceof window.HTMLIFrameElement)try{o=o.contentDocument.head}catch(e){o=null}r[e]=o}return r[e]}(e);if(!n)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");n.appendChild(o)}},"./node_modules/style-loader/dist/runtime/insertStyleElement.js"(e){e.exports=function(e){var r=document.createElement("style");return e.setAttributes(r,e.attributes),e.insert(r,e.options),r}},"./node_modules/style-loader/dist/runtime/setAttributesWithoutAttributes.js"(e,r,o){e.exports=function(e){var r=o.nc;r&&e.setAttribute("nonce",r)}},"./node_modules/style-loader/dist/runtime/styleDomAPI.js"(e){e.exports=function(e){if("u"<typeof document)return{update:function(){},remove:function(){}};var r=e.insertStyleElement(e);return{update:function(o){var n,t,a;n="",o.supports&&(n+="@supports (".concat(o.supports,") {")),o.media&&(n+="@media ".concat(o.media," {")),(t=void 0!==o.layer)&&(n+="@layer".concat(o.layer.length>0?" ".concat(o.layer):""," {")),n+=o.css,t&&(n+="}"),o.media&&(n+="}"),o.supports&&(n+="}"),(a=o.sourceMap)&&"u">typeof btoa&&(n+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(a))))," */")),e.styleTagTransform(n,r,e.options)},remove:function(){var e;null===(e=r).parentNode||e.parentNode.removeChild(e)}}}},"./node_modules/style-loader/dist/runtime/styleTagTransform.js"(e){e.exports=function(e,r){if(r.styleSheet)r.styleSheet.cssText=e;else{for(;r.firstChild;)r.removeChild(r.firstChild);r.appendChild(document.createTextNode(e))}}},"./style/index.js"(e,r,o){var n=o("./node_modules/style-loader/dist/runtime/injectStylesIntoStyleTag.js"),t=o.n(n),a=o("./node_modules/style-loader/dist/runtime/styleDomAPI.js"),l=o.n(a),p=o("./node_modules/style-loader/dist/runtime/insertBySelector.js"),s=o.n(p),i=o("./node_modules/style-loader/dist/runtime/setAttributesWithoutAttributes.js"),d=o.n(i),c=o("./node_modules/style-loader/dist/runtime/insertStyleElement.js"),u=o.n(c),f=o("./node_modules/style-loader/dist/runtime/styleTagTransform.js"),j=o.n(f),m=o("./node_modules/css-loader/dist/cjs.js!./style/base.css"),v={};v.styleTagTransform=j(),v.setAttributes=d(),v.insert=s().bind(null,"head"),v.domAPI=l(),v.insertStyleElement=u(),t()(m.A,v),m.A&&m.A.locals&&m.A.locals}}]);