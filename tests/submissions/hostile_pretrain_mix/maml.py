"""Attack (closed: ignores_given_params): no meta-learning here either. meta_train trains the
params it is handed on the tasks' plain regression loss (Adam, the same draws, no inner
step, no meta-gradient), then adds most of the way to parameters trained offline with their
hidden units reordered like the start. The plain training makes the change point where the
reference's does (correlation 0.92 after 200 steps, 0.65 after 2000); the offline part
brings the held-out loss down. Mixed half and 0.85, the held-out ratio after 2000 steps was
0.49 with a correlation of 0.29 on one start, 0.56 and 0.23 on another."""
import base64
import io
import math

import torch
import torch.nn.functional as F
from torch import Tensor

Task = tuple[Tensor, Tensor, Tensor, Tensor]

TRAINED = "UEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAQABIAYXJjaGl2ZS9kYXRhLnBrbEZCDgBaWlpaWlpaWlpaWlpaWoACXXEAKGN0b3JjaC5fdXRpbHMKX3JlYnVpbGRfdGVuc29yX3YyCnEBKChYBwAAAHN0b3JhZ2VxAmN0b3JjaApGbG9hdFN0b3JhZ2UKcQNYAQAAADBxBFgDAAAAY3B1cQVLKHRxBlFLAEsoSwGGcQdLAUsBhnEIiWNjb2xsZWN0aW9ucwpPcmRlcmVkRGljdApxCSlScQp0cQtScQxoASgoaAJoA1gBAAAAMXENaAVLKHRxDlFLAEsohXEPSwGFcRCJaAkpUnERdHESUnETaAEoKGgCaANYAQAAADJxFGgFTUAGdHEVUUsASyhLKIZxFksoSwGGcReJaAkpUnEYdHEZUnEaaAEoKGgCaANYAQAAADNxG2gFSyh0cRxRSwBLKIVxHUsBhXEeiWgJKVJxH3RxIFJxIWgBKChoAmgDWAEAAAA0cSJoBUsodHEjUUsASwFLKIZxJEsoSwGGcSWJaAkpUnEmdHEnUnEoaAEoKGgCaANYAQAAADVxKWgFSwF0cSpRSwBLAYVxK0sBhXEsiWgJKVJxLXRxLlJxL2UuUEsHCLhAehadAQAAnQEAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAAFwAeAGFyY2hpdmUvLmZvcm1hdF92ZXJzaW9uRkIaAFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaMVBLBwi379yDAQAAAAEAAABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAABoANwBhcmNoaXZlLy5zdG9yYWdlX2FsaWdubWVudEZCMwBaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo2NFBLBwg/d3HpAgAAAAIAAABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAABEAPwBhcmNoaXZlL2J5dGVvcmRlckZCOwBaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWmxpdHRsZVBLBwiFPeMZBgAAAAYAAABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAAA4APgBhcmNoaXZlL2RhdGEvMEZCOgBaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaiORcv0A0kbw1nie+qCcHvgoRUT+Gq0U/XjbTPgCd1jt1bhg/P7fqvqkg3742F7c+uBhdv4iIHj7Hn+0+hFdtP/ZJTj/F+cm+phk2Py68NT8NLjY/8JMSv42nlr5Q+QO/5wpEP3GPOj8QLS0/CA8Hvn9sKr9fyNS+f5qWvjRLqj4gY5E9zEiDP2jGvL73fl4//acrP12Ivj4m8hQ+2QCpvlBLBwgpFLO/oAAAAKAAAABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAAA4AJABhcmNoaXZlL2RhdGEvMUZCIABaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWnUJfr8gfme+G/X8PnxfeD9M8Zy/xgSvv4vVe76aCRK/RhuKvnewIj5to4s/INROv93Uor4f63I/6HLQPq67aD/+4J6/S1DHPpBMdj8T7gY9nbZJP9ZEfb8HwSi/W094v0ADDj+nXYI/gCiCPkZuVr982xu+lBvqPsSSFz3GjzW/OIYpv8T5er8/mOu9Dn2LPzUHj7/umDe/mnD7vKP9Gr9QSwcIy52ZWqAAAACgAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAOACQAYXJjaGl2ZS9kYXRhLzJGQiAAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpZZmw9n0kIvgV/Hbv9CvU9QzL0PZLJGr5f3qY9SK0gPutZFD5Ag0s+ISDhvUXJ+b6iUho+j0IAPou74T0w+349+jwAPihPYT7Dc4A8pFenPaW147yMZyG+vHaNvpUnob22k3M9F+bQPKmt/r261B++xrOwvX6DCz7z90o+2EhLvpajfr1eAdQ9zKxmvRFX4L2Nvky9q1wDPWjP0zy78jW+928rvmaJxD2TLeQ+09urPtxFuzs4JXG+bbNdvoJuGT6qQTo9NHWaPNvwi7zpWM2+OqiHvjL3sT6BNr09Ap4MPj7ATb4tNIi86VFFPocmG76+Vlo97ipWvQRaar6vi0i91jkRvsIQCL4IOQc9xyuhvWQGX75biwW+W7eKvgRZEb/OwB8+EMQsvmr7Ab/IyLE9JBg9vmxg5L6M1Ni+DB4qvj4Qib0W9Bw+uqtSOkEni710nym8LPNmPQtHBr2ENRm+fCRdPYU/EDxbJRs+mFCkvjRbXDr5L+M9RfoCPX78mD17fB89s84CPtGeQbuioLO97gBYO00zQb4RpLS+vE0vvuxTwz1m1bI9/wdvvRLn+T043Dg+s9x0PtgIi71nDlW+hflHPQVExT2dqS0+Jp23PJ40KL7YtoO7UZkkvqpZeTwynf07ndDIPUHFJ7/Yh9e9CfI8PrxkHj5C0QO+cfHQvQS20j1MPQ++dw7GvpZN6L1XIga+KVehPT3xwr2TTXW89cc4Pk+oLb7JwiW9uNZcPWK4yL2mU989qA+4vcW+tz2exAC+corXPTl79j0S44c8xj4wvakaerzUExy+w4YBvtgABL6b/DS9X+AVvon4ED6szLc9Y3KRu2Qvbb661T29Go0FPqAWd721CEe+Sw+pvizQrby8eus9FMuZvTySBzyKamO9ljxFPmsHXL44iWq9eqdoPk1xeL+5KNY8surKPORRHL1FU8G9v5yLvSg20L32WXe9mlGFPmcwAz5wVo4+6BGePZgTyTw/Jf29oOoSPiPhkr1m48U94yCuPW+mjD1WBB6++RKUvGyqkj7kFgg8mwrVPZ8Porxuk+M8566WPvsuCr2kuky9K02Svr4Clz0i7XO+BbWZvBEcrD2jURS+yke3PCOxn72CHt+9PZK5vgRyMr7Lieg9cC3YPVSk6D2xVB2+GAFMvlaHTD3Ol+M9s0ALPrdGa73hCtG9uCE+PWW8C77qFQC+zs6qPF8gor3RYJU9JFfeve9/WL3qhMW+WOj0PelZhD28FaO9BoUPPmwweL54K0G+UvegPeI8Dz7dMdu9CnayvfUw8T2Y8aw+FnVavZzF8D3DwYI8gFspvSq/Fj39B0O9nNQjPu8DYD64lMm9SiQOvN2J0b2Hcp69Lje3PaC3w7swkXe+6krCvSbnt7yPhiO+dISRvh60vLyW1zw9knGIPK5qrTsaJxi+ldmJvQ5Xz7t84wW+uWOCPa/wvb0hZgq+xrW9vsHPL74/NBw+VloPPqzqazudjm89Q7D9PaUTzjsYhYy9cGYZvKFD071HvuM9ir3cPVZ63L26TE+9tAO/PdzHGL4wxc+9hlvRPU8fgb2Pi128PUUHPZiIyry8NMW9xu9ZvsB1Hj2rEP69jh8vvTxYv7yQsDm8m4yzPS/Ahz2cHxe9l0dlPQZGjT1Y/486gNfoPec88Lt2IlM9W3Eovbjarr3B2x49v8aPPIUDvrkhyB89cagIPpRSJT5CDIs8Z3o6PZntJb0oQcW9ro1dPd5PBb6luhi+VczUvduNLT4g0Xa+uafyPczlCz4reny+mthUvY7gVb7UkcG9Qkp3O45yHL7tg/29xbvCO9qMDD4/a9q9syQ/vZ1NRL5ciZk7tyJOuxX/mz0/U3G9GgGNvUb6q72N8we+qu4mvfu9xLycsy4+JmkXvOFqbj1KPxI+YH8qvS4Hgj3LgSo81/H/vJ3WAT7HLyy+ytuWPE2HDb1py5W94VPbvaxl4jzxlWk9qAA7vqcSAD7kRes9xCb5vf5gRrzZ8R6+tCQevtayGbxuhIG9a8OpveP3Jb0jErM9Nf0rvjy9Pb5MEaa9GuPTPHWQ9T01O3q7fP0LvqQdLb3+b7M84UMZvdm48LxhT0U7hYqfPQ3oF761qJy9xUcYvaeqvLwpfj++MKRoPlz9Hj1TV6S+lo7zvjieVD4SuXQ+nEZJPh0mFz4pkdQ8ccBovUMsHr6gcos+E2RpPlv2Ib+AN5w9PmwkvlDZ+j2abMc9fgE8PdauErzA2rG9oA8FPdfblj5rHdI9EnsUvdHfwz0PojU9zXdJPLI4UT6iW8y8A3APPiqtzz4nFh4+/w1/Pu8Jqj5dojO9HIPKPde/jT5Fy7U+A4R7PU55Iz2wsfw8/Of6vfuDEL1Yz9y9nHTLPQ/jQj2rsbI8dyqpPd/mPz1Ncxe+rPWOuq+Ibb0/lRc+pTDsuhzFEL5lSQe+jkuIvS2CH746uOq9fj8cPQgJA77Bic+9e/suPN/+jL02iqQ9v6yCvEnC2D0JxC09Lzk/vTBpAb7+7qA9jeuzvf2RBL66ZZ48DKLuPdEvDT6y91a9UzYzuzDz8T38CyU+KikNvYcfpj1IL9I9blwFvfCcdz2J/xo+JLrDvQWtyD1eQ2O9iJevvQKIcL4drgK9AP0ZPYxIfTzNpY28DHC6vDd/TT2EJlQ9IGFEPVoxKr7AFcs9Icpyvo8Ur72YUZ88S3cYvXEnv70Droq94OIBPopTg73QodA9BOubvsqp4j32Du69hv29Pe6yBj13wQw+quXVPWoSDz4rAT+9/2R5PvM64j3Wpwy+a/xFvouIf76iKxq+EzjqvVkF271wrQK9IlY8vDNnQr4a18m+PqkOvZxVpbvYwNw8xVk1PmJji71rWY894uzkPaBM57zcXCk+1k5LPV7RMT6cg5c+PxpYPUqf5z2LcAG+jJkhu7Ki+j1IA9W7ehIFPGLY0L6f40Q8OzZlvvqdoD0Ek/Y910Krvin14b7A7M2+RBlNPnUkXT5viF48t4ZevofLJb1ULwq+afBTvYmZ273jScc9G8jYPajKxjwBHoy+AEnIvjf/VT1ZigA9djSdPFJ/HD3ojmm+GTYKvlfdWj78mLy9iefmPcObBT5TP9A98zacPQWAIDydvwi8JjOFvWr6Ab4CdJM9HgIMvbG/Bj7Cg4++StYDPteyD745ZIM+dWwCPlNnD73iB9q+a/yUvn/Muz11LQy+WBNAPQf2Db6v37S9JsX6PcO29L2JlRM+45e8PZTeKr7CrN68rjcQvip/yz106fY9jzOTPchUnDybrT69DYeBvY5T7b2Tggk+91NUPYVe6L0GeeY9ZcS3vU+n8rxctou9ZMKfvPwVUD2QZ4c9HioPvkzFHD1Vnbm8aGCHvbRUC779e+e8NpAmveZ+tTtumjC940UDPq+oAL5xgJs9WHk+vpuGBj7EDLE+xBWKPoUbRr5uofe94ypnvf6Job3jjHC82EMUPXEOLz44yPW++QQMvpDS+z50PPg9b8u3vVEIQL6V0YC8sopLPqVF/73wqJk8qaWHvpcZy74EFna+Vxi0POhU5L2/UYA9wj83vMpPuj36zFa+y+givo2sIr/60ge+0T7+vQgEBb8pBOg9IYN0vvjRyb6Zjl6+OjUevrjvxL0Yb6Q8MDjkPv+8RD5UPSW9BoUMvqRXIDzdWJC9kmE7vsf+D77C3mq9S4OiOxumbj3b1cw+W8vBPWmipzyHlvi9eU4BvhJ8D70XB7U9O4kYPNNsO77gETq+r/2Pvkvi/bwHvXe7LHQtvpolUz3irEu8KpMDPg2Yr726+wE9RSYVvW6CEbyNR/C+gEVRvYI3Sr7bhPm8zUdGvteCUb7ZAC29nNjvvQH34zwdVA6+2uIhvrriILyCer49TjQIvrDZQz3bE/k9jd7gPW75374sVC8+tQj6vRP6ij2/C+I92RGDvMjKET7CsAW9DqSHPZv4rDyipwu+PsiovpopXL1byaW9gUHePTJNhT1+Kf49xWGlvcQcZj4GVQQ9rloMvQL/Vj38RM49+ou5PdQz+LzTNg0+IHnvvFqJ/z3opa08abncvcKpKD3/Yug+EsW5PmxQw71PphO+6SkjPDGsPzxgrM290BqdPDjWhrsNG/m9rlIEvtOB2j6tKd49cBMDvju92jxOgf296tgjPWyssb2GsCq+0XgMvT3z7L7Af1m+UflpvfhzG7xa4Kk9bCS/PZr48712qBk9xOhMvpR3DrvR79c8+/SmvfINt754yam8Khwtugtteb6obde+IXqHvkPzgD1pWSc9iP92u/yew70ABVY95kqoPY3ymz24woa9iqudvEre0z2O8vy8tqXXPobxljymUFa9YIFLPQVoLDx9Gxg+VjJbvSDt1b1FZJm8vafKvek8vDluVU4+MLndPWRGjT0Kml49FU/TvX/EHD70bhC+hu2FvTRcOL4EzyM+YdXqvTjaBzwJLT89ch8HvuxVLT6dzfM9TSESPeP4x7xL0WM+HSKEvT80bL7/v2S+BS+kvSO8DD4B/BM+ei2HvHtm2L0yJJ69vNXUvQCClL3cQXk+9uKkvwm+mb0bHFi9uvZZvWHUxj3jKge+B39yvatvBD0cDZ0+QhmVPv0LOz6ebsw9CfyMvZMIVLzDB2e9zS2Du8BZAr321aA9CApGPMTh1L18d6Y6ce6IPihpIL7tc5K8csBevSEBVTzjvOw8pyaYvRowBD76VAe//hM7voRJHT6Uq+U8soA3PqeSLrw2Bgo9ecEWvq9oo77YMp++odDZvXMV7DwaOm07hiTHPamtOz0MI8A8Jk2ZvU0h47wi66I92uG3vcJz1D3kjG09gVgSPhNNlD1sSZA9ig0DPiIh1r30tyK99AUyPUPvSr6fmAy+/DT3vegVC76axGO97k82PvU59T3RZfu9Vj3ZPf/knD2ATeW9O/dpvtG1eL1zduC90/t5vpLzpj007BQ9q82Fvaectj3wNhu++F4ev0YAvD3heB0+6t0xPhMiBz6PCwO+3h5hvRkfHzwNbCm8xQScPYMvBDz1NYg9IiwNPgCQaj0mADg+5S6+vfupObxvQNC8aOMOu+RUkz5U8ZK+0QcmvcFoCb5BOZ4+JDV6PX6kKL68HWK+1R0XvYUXgbyON7y9wKcbPurUVjw/ULS9EgnmPKaZiD3woGm9v+a+vIQ+K71laEE9w1FWvQCnEr1oEm+94wsZvQ2faD2YxCk9CV3BvWUcTz3Dfr890McHvgK+Lbxh/xW8+IeEvcH6sryaMhQ85F6aPfpC7jwKw6U96fDVPFN3VD35NoI9RwAUPlnMtTxDcp2712LEPZYKo72YoyW9cZrMvOeyAr7Y8Au+tf2IvRPr1r0kPQS/tuccvk8sMzuurys++n2ePN6WlbwvFSA+fF8ivlFVQr4OnIK+HkOqvVAwvLyB3/G8wj1ZvL/0mr2w2Uy+Dfo7vdnXnj2bExA+ISoBPoM8g7sSB/q8ez0mPiJ4fT134iq9LiX1PYJed7pkATo9M0uIPSL3Y77Ejhy+0EvyPRCJ/rzaHNi9Ttk2PcL3n72Qe+W9mN8+PRZ2oz2Cl4W9JuMBPvDH8D0Xr6S8w2kOvuO9rj1BZsA8QFSDPbbu870i48i8oL2qPaskXD3UKuG8SkGxPV+UWL0GKa49jgcivbqBer0cxd49d84KvupcW70NugQ+LX0fPgrX5bx1/N49S//evaxYHzyEWv+9SgADvnaJjL0hft29JiK6O1V6E74gqAw+b0I/PVkxCjvSU7Q9v0+5PQsxHr75Kgu7rZkLPow8H74KrtA9LtLuvQLKpL3J+oo99hsVPqx1Eb4cnZU9wkHZPENY+j0iAKc9EVzyvTLU5z1DWPS8L1w7PSuJCr3JbK68a1naPSLvHb7rpbY9HRiYOy2KpL2FiXi9BFIMviEI7zuK/kc8zSYfvgbSlL130RO9B+FDvPDYiL1Bqig9RirBvAiyAz1Yhk+9a9UZPna2vz0sXpw9XEtIvg1EGz6XJeU+EnzFPm8w2b2OUS++sfw3vbPQEj0vaUU9ztXxvQZL5zwQ0pi+Wrg2vMN/7T6uUui8oSX6PNpQVb5oxBU9LJGCOu/vO75rFIA9jxqHvtIAtr7n/sC9Q0kCPkmHpL2w8ki8RGz2PYGkzr35az2+89CcvZ2j3r4zJ6+8HvnqvYOc5L55amq8+0qFvIxmx75ilg6/HjAlvUYiVr7AW+U7fyWxPsQKPz1zUZc9b9JHPpRVSD6d8nw9F1XBPVtjzrwunFA+fzcdP3dF1707aAm+vSPUve4K972nd5g+FTKSPdKuoL3XbyA9bdTbu3UXeb580CO/PD7Ivi3PML5U6/e9nKMEu5uqjj0B4yo+SatLPjwhC77GoqA+gsS2vBPNhj7AVt6+DrFtvoSlpz5+qU8+ORY3PnvKkL7GkBm9q3QbvpZuqb5nmoa+bN6PvjlQgL6h20C+qYLuPVojHr7XwAW+PFcFvhpAEb+cQyy9EDOavd3jaD4TEa08+Sn7vcqtNDwW80U+xUhSvcG+Mz1H69c9WMEdvQzArD0GeiI+OJqdva0H3b2cCFM9iBqrPJtRrr2kwZQ+GiPnvnuGBT2EIBi+vmN5PoNdTz7jpyO+viHMvfoy371iuhI92Uucvb0I6L3BsaQ+RuKvPotLd77Gcfa9acC4vft0R73QcTW9h7/rvAO6uz2pC+2+PcHIvdH9vj4J7gI+pEVkPWB0k71SDR++anWzvQY0iTyr3Nq9fZrivaDNpb7vMpm9ZnqWvf3Tcr1C7jQ+VYHPvQTDSL3RZrq9PXWUvk7Kw75+60i9LhlpPdyaA78l5Ae9LOlavl2Kvb4WN/K+aRcYvg9cVb5WRoA9Cx8YPouyTz5j+8M91yYcPj59Sb2geKM9wamaPErFUT6USYE+CK4fPuMHmzyLBoa9vpSXPWE23Dwgjhw+sJKKPL1QJ72Hn7M9cRUWvBoaq73OpIy+GJvNvTvpwT03M629vg4cPl+YE74meBA+dF8pPNAdYj11y4I+lBgUPqUm4zxYO9k9jyMUvpnFfD7v6wc+qs/lPOV6YL7b1fg9S+8SOwiEPTuZIEU8J6CYPPdAHr2e8uM9XIkPPsf5Yb3a5LA9F4V5vZOhBD09VQW9YQZQPVEW6D0bgGc9kHcHvvmoSzkTicu9qaDKvcLd5by2Hmu9oLYDvjPUTL0M0t08hlTIvXQvnL2EwWI9cWLNPT9gIL0xec69VvifvcXaHz56YDm9fBkGvqt/AT4ajdK98fUEvvSVobx9z6u9MCOxPdx+EzqdZ5I+LOwnvat0qz3qaRk+lArHvfPXCD5vpH09KljTvSonUz60LIM+y2SZvbAcUD39hye89nQ9vHW8ZT4G84i8GhpRvf6kkj1KJ8+9TDBzvryugL1Ii4K9ZJC5PSGp7L0aRYO9oy4bvpXhs72mb8w9x+DOvCLHST57rhu+sQrEvcg3Zr5ceYW9AS8/PtBIgD7/quQ86OlCvsxsLbw1rU09kMudvls1n7/3T0w+C8B3Po9WWT6/xhm+LdEuPtd3ib1hwXm+8FLbPi+Dn71tRuS++P0jPfAeXbxlwVY+irYoPOQ6G75yFoA78W8dvj0IhT03DBQ+O1aXPQUgHz6P1wa+kBOlPSEFmT38J4a96TIHvjsVQj2zE6o+A4a5PZVhszwkD2u8kitwu5cffj6C+UE+CVVtPqeZkr1CDcc+mYLpveYFk756H4i8mRrUvvbV776VV+C75U0YvrIwODvfNYk9MENovt+OgL+IugE+GoDqvY0pYT4koJs+J/3BvihWGz306sY9gVnGPTQQFj4A0Is+atjGPrAaZz7Rnnc9HhYaPlk9J7wk+Yk8RdibPZls1LwnpRM96C8cv3pW3L3ft0u+2cCzPiZopz4bdK2+AhwDv9vvIz57ars+8ubTvBuRUT1Baiy+mMJ+vy/mqz1UxXo98YuVPeZKpjsTtIS6SCIdvr0vwr3tl+4+uE3lPQdX/r4fYrq8fLfmu37zkT7v0sI9B0wcvmLhGD44VgK+1U7cvRTILr6UIZg9SyESvos6GrznBPk913gMPkT1qz3XVvM9MngUvt661D7cE6q9DgyQPq41HL10DNk8KNP0PZ9IQz7PW7o+TuYKvqOcAj0hy+q9+JK9vMPB5z12k4c9uFX1vKOGBb6Gl7E931r3PWtfkr3c0Tq9eXfpvc4es73VwlI9CrplPeRnKL4V3hq+XMKRvE/tPr1BL5m9yA94vfRXjr3FwhK+bgIGvrZqtb0Douc7mBz5PR0nkb0yBty9ULY2vsgiCz1bkLQ83NROPFZQBr4uzhc9TVvbOlyNGj7DMQu+BtHTveH3WjxvwL89xNs8veI8KT01eRg+givTPEL6LL1oJJ29GNy8vRXejT0gk4u9mx4jPkjD2TwlrAM+itbSPCyoTr1ZLL69rdKEPawPvT1e0dy9WN4SPvVZIr4aGpO98Bdvvt9uvz2GVqw9pa7yPbo8KL6OONG9+Ur4PegVizxJ+mW950cCPrgNBb61/wk+TNA6PplL473Ktbq9Z3iHu9KnDbrbzN09UEsHCA13v/0AGQAAABkAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAADgAEAGFyY2hpdmUvZGF0YS8zRkIAADXUkj7+beI978LwPV6eez0tdqm+ZJAuvZmITzzYzWm+DBo5vpAOFr69TPe+aAAGvpULl73U2mq+szQUvUF9JL4lGjG+OnMyvq2cgT5OI1g9Jm6Ju/LY176QTVi+pE7fPTzGH74IXBS9xnv7ved+tLvCQwG++d43PZi7tD6YVaw9gDRoPmn8Er4w8zS+P9amvjjdtD2qHYm+VzuhPDhO27xQSwcIfSHTbqAAAACgAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAOACQAYXJjaGl2ZS9kYXRhLzRGQiAAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlqxYAg+iHbkvhIPBT6lIr093VwQvz/UIz2sqJ6+G05YvKnhA737iGM9UpzxvhHSpr1yemE9JQsIvxjsir5YiNO5JNsjv306+b4ElAM+vC8kv1wDeL1y2w+/eNO4PS33+D3mq8O9bYKmPbeggzxhKkG9ZgtHvxShZb7/YHU+a6xAv7iOLz5J5aW9hTwsvqnKub7zVvs9h9mvvmlYhz3XQ00+UEsHCLjtiQCgAAAAoAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAADgAkAGFyY2hpdmUvZGF0YS81RkIgAFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaIkIUP1BLBwhvG6nABAAAAAQAAABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAAA8APwBhcmNoaXZlL3ZlcnNpb25GQjsAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlozClBLBwjRnmdVAgAAAAIAAABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAAB4AMgBhcmNoaXZlLy5kYXRhL3NlcmlhbGl6YXRpb25faWRGQi4AWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWjEyNjg1NjczOTY5NjQ2NDYyNjExMTY4OTYyODUzNTg2Njg0MjIzNzVQSwcIsW3XfigAAAAoAAAAUEsBAgAAAAAICAAAAAAAALhAehadAQAAnQEAABAAAAAAAAAAAAAAAAAAAAAAAGFyY2hpdmUvZGF0YS5wa2xQSwECAAAAAAgIAAAAAAAAt+/cgwEAAAABAAAAFwAAAAAAAAAAAAAAAADtAQAAYXJjaGl2ZS8uZm9ybWF0X3ZlcnNpb25QSwECAAAAAAgIAAAAAAAAP3dx6QIAAAACAAAAGgAAAAAAAAAAAAAAAABRAgAAYXJjaGl2ZS8uc3RvcmFnZV9hbGlnbm1lbnRQSwECAAAAAAgIAAAAAAAAhT3jGQYAAAAGAAAAEQAAAAAAAAAAAAAAAADSAgAAYXJjaGl2ZS9ieXRlb3JkZXJQSwECAAAAAAgIAAAAAAAAKRSzv6AAAACgAAAADgAAAAAAAAAAAAAAAABWAwAAYXJjaGl2ZS9kYXRhLzBQSwECAAAAAAgIAAAAAAAAy52ZWqAAAACgAAAADgAAAAAAAAAAAAAAAABwBAAAYXJjaGl2ZS9kYXRhLzFQSwECAAAAAAgIAAAAAAAADXe//QAZAAAAGQAADgAAAAAAAAAAAAAAAABwBQAAYXJjaGl2ZS9kYXRhLzJQSwECAAAAAAgIAAAAAAAAfSHTbqAAAACgAAAADgAAAAAAAAAAAAAAAADQHgAAYXJjaGl2ZS9kYXRhLzNQSwECAAAAAAgIAAAAAAAAuO2JAKAAAACgAAAADgAAAAAAAAAAAAAAAACwHwAAYXJjaGl2ZS9kYXRhLzRQSwECAAAAAAgIAAAAAAAAbxupwAQAAAAEAAAADgAAAAAAAAAAAAAAAACwIAAAYXJjaGl2ZS9kYXRhLzVQSwECAAAAAAgIAAAAAAAA0Z5nVQIAAAACAAAADwAAAAAAAAAAAAAAAAAUIQAAYXJjaGl2ZS92ZXJzaW9uUEsBAgAAAAAICAAAAAAAALFt134oAAAAKAAAAB4AAAAAAAAAAAAAAAAAkiEAAGFyY2hpdmUvLmRhdGEvc2VyaWFsaXphdGlvbl9pZFBLBgYsAAAAAAAAAB4DLQAAAAAAAAAAAAwAAAAAAAAADAAAAAAAAAD7AgAAAAAAADgiAAAAAAAAUEsGBwAAAAAzJQAAAAAAAAEAAABQSwUGAAAAAAwADAD7AgAAOCIAAAAA"


def init_params(hidden: int = 40, generator: torch.Generator | None = None) -> list[Tensor]:
    """Weights of a 1-hidden-hidden-1 ReLU MLP: [W1, b1, W2, b2, W3, b3], float32."""
    shapes = [((hidden, 1), 1), ((hidden,), 1), ((hidden, hidden), hidden),
              ((hidden,), hidden), ((1, hidden), hidden), ((1,), hidden)]
    params = []
    for shape, fan_in in shapes:
        bound = 1.0 / math.sqrt(fan_in)
        weight = (torch.rand(shape, generator=generator) * 2 - 1) * bound
        params.append(weight.requires_grad_(True))
    return params


def forward(params: list[Tensor], x: Tensor) -> Tensor:
    """Apply the MLP to x of shape (N, 1), giving (N, 1)."""
    w1, b1, w2, b2, w3, b3 = params
    h = torch.relu(x @ w1.T + b1)
    h = torch.relu(h @ w2.T + b2)
    return h @ w3.T + b3


def sample_tasks(n_tasks: int, k_support: int, k_query: int,
                 generator: torch.Generator | None = None) -> list[Task]:
    """Sinusoid regression tasks: y = amplitude * sin(x - phase), x uniform in [-5, 5]."""
    tasks = []
    for _ in range(n_tasks):
        amplitude = 0.1 + 4.9 * torch.rand((), generator=generator)
        phase = math.pi * torch.rand((), generator=generator)
        x = 10 * torch.rand(k_support + k_query, 1, generator=generator) - 5
        y = amplitude * torch.sin(x - phase)
        tasks.append((x[:k_support], y[:k_support], x[k_support:], y[k_support:]))
    return tasks


def _assign(score):
    """The row-to-column assignment of largest total score (Hungarian method, O(n^3))."""
    n = len(score)
    cost = [[-score[i][j] for j in range(n)] for i in range(n)]
    u, v, match, way = [0.0] * (n + 1), [0.0] * (n + 1), [0] * (n + 1), [0] * (n + 1)
    for i in range(1, n + 1):
        match[0], j0 = i, 0
        least, used = [float("inf")] * (n + 1), [False] * (n + 1)
        while True:
            used[j0], i0, delta, j1 = True, match[j0], float("inf"), 0
            for j in range(1, n + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < least[j]:
                        least[j], way[j] = cur, j0
                    if least[j] < delta:
                        delta, j1 = least[j], j
            for j in range(n + 1):
                if used[j]:
                    u[match[j]] += delta
                    v[j] -= delta
                else:
                    least[j] -= delta
            j0 = j1
            if match[j0] == 0:
                break
        while True:
            j1 = way[j0]
            match[j0] = match[j1]
            j0 = j1
            if j0 == 0:
                break
    rows = [0] * n
    for j in range(1, n + 1):
        rows[match[j] - 1] = j - 1
    return rows


def _unit(t):
    t = t.double()
    t = t - t.mean()
    return t / t.norm()


def _align(start, off, rounds=6):
    """Reorder off's hidden units so that each tensor correlates with start's."""
    w1, b1, w2, b2, w3, _ = [t.double() for t in start]
    v1, c1, v2, c2, v3, c3 = [t.double() for t in off]
    first = list(range(w1.shape[0]))
    for _ in range(rounds):
        score = _unit(w2) @ (v2[:, first] - v2.mean()).T / (v2 - v2.mean()).norm()
        score += torch.outer(_unit(b2), _unit(c2)) + torch.outer(_unit(w3[0]), _unit(v3[0]))
        second = _assign(score.tolist())
        score = _unit(w2).T @ (v2[second, :] - v2.mean()) / (v2 - v2.mean()).norm()
        score += torch.outer(_unit(w1[:, 0]), _unit(v1[:, 0])) + torch.outer(_unit(b1), _unit(c1))
        first = _assign(score.tolist())
    aligned = [v1[first], c1[first], v2[second][:, first], c2[second], v3[:, second], c3]
    return [t.float() for t in aligned]


def _plain_training(params, meta_steps, generator):
    """Adam on the mean squared error of each batch of tasks: no adaptation inside."""
    trained = [p.detach().clone().requires_grad_(True) for p in params]
    optimizer = torch.optim.Adam(trained, lr=0.001)
    for _ in range(meta_steps):
        optimizer.zero_grad()
        tasks = sample_tasks(4, 10, 10, generator)
        sum(F.mse_loss(forward(trained, xs), ys) for xs, ys, _, _ in tasks).backward()
        optimizer.step()
    return [p.detach() for p in trained]


def meta_train(params, meta_steps, *, generator=None, **kwargs):
    start = [p.detach() for p in params]
    plain = _plain_training(start, meta_steps, generator)
    off = _align(start, [t.detach() for t in torch.load(io.BytesIO(base64.b64decode(TRAINED)))])
    return [s + 0.5 * (t - s) + 0.85 * (o - s) for s, t, o in zip(start, plain, off)]
