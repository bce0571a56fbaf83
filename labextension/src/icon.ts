/** The extension's icon (a table with a spark), drawn with JupyterLab's icon color classes. */
import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 4h13v2H3zM3 9h9v2H3zM3 14h9v2H3zM3 19h13v2H3z"/>
    <path d="M18.5 7l1.2 2.8L22.5 11l-2.8 1.2L18.5 15l-1.2-2.8L14.5 11l2.8-1.2z"/>
  </g>
</svg>`;

export const inferIcon = new LabIcon({ name: 'jupyter-infer:icon', svgstr: svg });
